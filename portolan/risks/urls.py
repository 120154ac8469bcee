from django.urls import path

from portolan.risks.views import register, schedule

app_name = "risks"

urlpatterns = [
    path("", register.RiskListView.as_view(), name="risk_list"),
    path("add/", register.RiskEditView.as_view(), name="risk_add"),
    path("<int:pk>/", register.RiskDetailView.as_view(), name="risk_detail"),
    path("<int:pk>/edit/", register.RiskEditView.as_view(), name="risk_edit"),
    path("<int:pk>/delete/", register.RiskDeleteView.as_view(), name="risk_delete"),
    path("heatmap/", register.HeatmapView.as_view(), name="heatmap"),
    path("actions/", register.MitigationActionListView.as_view(), name="action_list"),
    path("actions/add/", register.MitigationActionEditView.as_view(), name="mitigationaction_add"),
    path("actions/<int:pk>/edit/", register.MitigationActionEditView.as_view(), name="mitigationaction_edit"),
    path(
        "actions/<int:pk>/delete/",
        register.MitigationActionDeleteView.as_view(),
        name="mitigationaction_delete",
    ),
    path("schedule-risk/", schedule.MonteCarloView.as_view(), name="montecarlo"),
    path("schedule-risk/store/", schedule.MonteCarloStoreView.as_view(), name="montecarlo_store"),
    path("estimates/add/", schedule.DurationEstimateEditView.as_view(), name="durationestimate_add"),
    path(
        "estimates/<int:pk>/edit/", schedule.DurationEstimateEditView.as_view(), name="durationestimate_edit"
    ),
    path(
        "estimates/<int:pk>/delete/",
        schedule.DurationEstimateDeleteView.as_view(),
        name="durationestimate_delete",
    ),
]
