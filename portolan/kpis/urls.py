from django.urls import path

from portolan.kpis.views import catalogue, dashboards

app_name = "kpis"

urlpatterns = [
    path("", catalogue.KpiListView.as_view(), name="kpi_list"),
    path("add/", catalogue.KpiEditView.as_view(), name="kpi_add"),
    path("<int:pk>/", catalogue.KpiDetailView.as_view(), name="kpi_detail"),
    path("<int:pk>/edit/", catalogue.KpiEditView.as_view(), name="kpi_edit"),
    path("<int:pk>/delete/", catalogue.KpiDeleteView.as_view(), name="kpi_delete"),
    path("measurements/", catalogue.MeasurementListView.as_view(), name="measurement_list"),
    path("measurements/add/", catalogue.MeasurementEditView.as_view(), name="measurement_add"),
    path("measurements/import/", catalogue.MeasurementImportView.as_view(), name="measurement_import"),
    path("measurements/<int:pk>/edit/", catalogue.MeasurementEditView.as_view(), name="measurement_edit"),
    path(
        "measurements/<int:pk>/delete/", catalogue.MeasurementDeleteView.as_view(), name="measurement_delete"
    ),
    path("milestones/", dashboards.MilestoneDrilldownView.as_view(), name="milestones"),
    path("teams/<int:pk>/", dashboards.TeamDashboardView.as_view(), name="team_dashboard"),
]
