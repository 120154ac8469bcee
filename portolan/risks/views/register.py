"""The risk register, mitigation actions, the heatmap page."""

from django.shortcuts import render
from django.utils import timezone
from django.views import View

from portolan.core import charts
from portolan.core.roles import CHANGE
from portolan.core.views import generic
from portolan.kpis import dashboard
from portolan.risks import filters, forms, services, tables
from portolan.risks.models import IMPACT_LABELS, PROBABILITY_LABELS, MitigationAction, Risk


class RiskListView(generic.ObjectListView):
    model = Risk
    filterset = filters.RiskFilterSet
    table = tables.RiskTable
    template_name = "risks/risk_list.html"
    default_sort = "-residual"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "team")


class RiskDetailView(generic.ObjectDetailView):
    model = Risk
    template_name = "risks/risk_detail.html"

    def extra_context(self, request, obj):
        return {
            "actions": obj.actions.select_related("owner"),
            "scores": obj.score_history.select_related("changed_by")[:100],
            "initiatives": obj.initiatives.restrict(request.user).order_by("key"),
            "objectives": obj.objectives.all(),
            "probability_label": PROBABILITY_LABELS.get(obj.probability),
            "impact_label": IMPACT_LABELS.get(obj.impact),
            "tabs": [
                ("overview", "Overview"),
                ("actions", "Mitigation actions"),
                ("scores", "Score history"),
                ("history", "History"),
            ],
        }


class RiskEditView(generic.ObjectEditView):
    model = Risk
    form_class = forms.RiskForm
    create_with = services.create_risk
    update_with = services.update_risk


class RiskDeleteView(generic.ObjectDeleteView):
    model = Risk
    remove = services.delete_risk


class HeatmapView(View):
    """Inherent and residual 5x5 heatmaps, exposure over time, roll-ups by team/objective/program."""

    def get(self, request):
        today = timezone.localdate()
        risks = Risk.objects.restrict(request.user)
        open_risks = risks.filter(status__in=services.OPEN_STATUSES)
        context = {
            "today": today,
            "heatmaps": dashboard.heatmaps(open_risks),
            "exposure_spec": charts.exposure_trend(services.exposure_trend(open_risks, today)),
            "by_team": services.rollup(risks, "team"),
            "by_objective": services.rollup(risks, "objective"),
            "by_program": services.rollup(risks, "program"),
            "top_risks": dashboard.top_risks(risks, today, limit=10),
        }
        return render(request, "risks/heatmap.html", context)


class MitigationActionListView(generic.ObjectListView):
    model = MitigationAction
    filterset = filters.MitigationActionFilterSet
    table = tables.MitigationActionTable
    template_name = "risks/action_list.html"
    default_sort = "due_date"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("risk", "owner")

    def extra_context(self, request):
        visible = MitigationAction.objects.restrict(request.user)
        return {"overdue_count": services.overdue_actions(visible).count(), "today": timezone.localdate()}


class MitigationActionEditView(generic.ObjectEditView):
    model = MitigationAction
    form_class = forms.MitigationActionForm
    create_with = services.add_action
    update_with = services.update_action


class MitigationActionDeleteView(generic.ObjectDeleteView):
    model = MitigationAction

    def return_url(self, obj) -> str:
        return obj.get_absolute_url()


def can_change(user, obj) -> bool:
    return obj.user_can(user, CHANGE)
