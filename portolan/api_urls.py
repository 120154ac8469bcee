"""The REST API: one router for every domain's viewsets."""

from rest_framework.routers import DefaultRouter

from portolan.portfolio.api import views as portfolio

router = DefaultRouter()
router.register("portfolio/objectives", portfolio.ObjectiveViewSet, basename="objective")
router.register("portfolio/teams", portfolio.TeamViewSet, basename="team")
router.register("portfolio/services", portfolio.ServiceViewSet, basename="service")
router.register("portfolio/initiatives", portfolio.InitiativeViewSet, basename="initiative")
router.register("portfolio/dependencies", portfolio.DependencyViewSet, basename="dependency")
router.register("portfolio/milestones", portfolio.MilestoneViewSet, basename="milestone")
router.register("portfolio/status-updates", portfolio.StatusUpdateViewSet, basename="statusupdate")
router.register("portfolio/raci", portfolio.RaciAssignmentViewSet, basename="raciassignment")
router.register("portfolio/objective-links", portfolio.ObjectiveLinkViewSet, basename="objectivelink")
router.register("portfolio/efforts", portfolio.EffortViewSet, basename="effort")

app_name = "api"
urlpatterns = router.urls
