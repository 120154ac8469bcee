"""The REST API: one router for every domain's viewsets."""

from rest_framework.routers import DefaultRouter

from portolan.kpis.api import views as kpis
from portolan.operations.api import views as operations
from portolan.planning.api import views as planning
from portolan.portfolio.api import views as portfolio
from portolan.risks.api import views as risks

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
router.register("kpis/kpis", kpis.KpiViewSet, basename="kpi")
router.register("kpis/measurements", kpis.MeasurementViewSet, basename="measurement")
router.register("risks/risks", risks.RiskViewSet, basename="risk")
router.register("risks/actions", risks.MitigationActionViewSet, basename="mitigationaction")
router.register("risks/estimates", risks.DurationEstimateViewSet, basename="durationestimate")
router.register("operations/eventlogs", operations.EventLogViewSet, basename="eventlog")
router.register("operations/findings", operations.FindingViewSet, basename="finding")
router.register("operations/delivery-datasets", operations.DeliveryDatasetViewSet, basename="deliverydataset")
router.register("planning/inputs", planning.PlanningInputViewSet, basename="planninginput")
router.register("planning/scoring-models", planning.ScoringModelViewSet, basename="scoringmodel")
router.register("planning/rules", planning.SelectionRuleViewSet, basename="selectionrule")
router.register("planning/scenarios", planning.ScenarioViewSet, basename="scenario")
router.register("planning/baselines", planning.BaselineViewSet, basename="baseline")

app_name = "api"
urlpatterns = router.urls
