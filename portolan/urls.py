from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("portolan.core.urls")),
    path("portfolio/", include("portolan.portfolio.urls")),
    path("operations/", include("portolan.operations.urls")),
    path("kpis/", include("portolan.kpis.urls")),
    path("risks/", include("portolan.risks.urls")),
    path("roadmap/", include("portolan.planning.urls")),
    path("api/", include("portolan.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
