from django.urls import path

from portolan.planning.views import backlog, scenarios, schedule

app_name = "planning"

urlpatterns = [
    path("", backlog.BacklogView.as_view(), name="backlog"),
    path("initiatives/<int:pk>/inputs/", backlog.PlanningInputEditView.as_view(), name="planninginput_edit"),
    path("initiatives/<int:pk>/rank/", backlog.RankView.as_view(), name="initiative_rank"),
    path("scoring-models/add/", backlog.ScoringModelEditView.as_view(), name="scoringmodel_add"),
    path("scoring-models/<int:pk>/edit/", backlog.ScoringModelEditView.as_view(), name="scoringmodel_edit"),
    path("rules/add/", backlog.SelectionRuleEditView.as_view(), name="selectionrule_add"),
    path("rules/<int:pk>/delete/", backlog.SelectionRuleDeleteView.as_view(), name="selectionrule_delete"),
    path("selection/", scenarios.SelectionView.as_view(), name="selection"),
    path("schedule/", schedule.ScheduleView.as_view(), name="schedule"),
    path("schedule/roadmap.svg", schedule.RoadmapSvgView.as_view(), name="roadmap_svg"),
    path("schedule/roadmap.pdf", schedule.RoadmapPdfView.as_view(), name="roadmap_pdf"),
    path("scenarios/", scenarios.ScenarioListView.as_view(), name="scenario_list"),
    path("scenarios/add/", scenarios.ScenarioEditView.as_view(), name="scenario_add"),
    path("scenarios/compare/", scenarios.ScenarioCompareView.as_view(), name="scenario_compare"),
    path("scenarios/<int:pk>/", scenarios.ScenarioDetailView.as_view(), name="scenario_detail"),
    path("scenarios/<int:pk>/edit/", scenarios.ScenarioEditView.as_view(), name="scenario_edit"),
    path("scenarios/<int:pk>/delete/", scenarios.ScenarioDeleteView.as_view(), name="scenario_delete"),
    path("scenarios/<int:pk>/solve/", scenarios.ScenarioSolveView.as_view(), name="scenario_solve"),
    path("scenarios/<int:pk>/promote/", scenarios.ScenarioPromoteView.as_view(), name="scenario_promote"),
    path("baselines/", scenarios.BaselineListView.as_view(), name="baseline_list"),
    path("baselines/add/", scenarios.BaselineEditView.as_view(), name="baseline_add"),
    path("baselines/<int:pk>/", scenarios.BaselineDetailView.as_view(), name="baseline_detail"),
    path("baselines/<int:pk>/delete/", scenarios.BaselineDeleteView.as_view(), name="baseline_delete"),
]
