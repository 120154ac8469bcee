from django.core.exceptions import ValidationError

from portolan.core.api.views import PortolanViewSet
from portolan.planning import services
from portolan.planning.api import serializers
from portolan.planning.models import Baseline, PlanningInput, Scenario, ScoringModel, SelectionRule


class PlanningInputViewSet(PortolanViewSet):
    base_queryset = PlanningInput.objects.select_related("initiative")
    serializer_class = serializers.PlanningInputSerializer
    filterset_fields = ["initiative", "mandatory"]

    def create_object(self, ctx, data):
        initiative = data.pop("initiative")
        if PlanningInput.objects.filter(initiative=initiative).exists():
            raise ValidationError(
                {"initiative": "This initiative already has planning inputs: change them instead."}
            )
        return services.save_planning_input(ctx, initiative, data)

    def update_object(self, ctx, obj, data):
        data.pop("initiative", None)
        if "manual_rank" in data:
            return services.set_manual_rank(
                ctx, obj.initiative, data["manual_rank"], data.get("rank_reason", "")
            )
        return services.save_planning_input(ctx, obj.initiative, data)


class ScoringModelViewSet(PortolanViewSet):
    base_queryset = ScoringModel.objects.all()
    serializer_class = serializers.ScoringModelSerializer

    def create_object(self, ctx, data):
        return services.save_scoring_model(ctx, None, data)

    def update_object(self, ctx, obj, data):
        return services.save_scoring_model(ctx, obj, data)


class SelectionRuleViewSet(PortolanViewSet):
    base_queryset = SelectionRule.objects.select_related("initiative", "other")
    serializer_class = serializers.SelectionRuleSerializer
    filterset_fields = ["initiative", "kind", "other"]

    def create_object(self, ctx, data):
        return services.add_selection_rule(ctx, data)

    def delete_object(self, ctx, obj):
        services.remove_selection_rule(ctx, obj)


class ScenarioViewSet(PortolanViewSet):
    """Scenarios; solve with ``portolan scenario solve NAME`` or the page (synchronous, time-limited)."""

    base_queryset = Scenario.objects.prefetch_related("forced_in", "forced_out")
    serializer_class = serializers.ScenarioSerializer
    filterset_fields = ["is_plan_of_record", "status"]

    def create_object(self, ctx, data):
        return services.create_scenario(ctx, data)

    def update_object(self, ctx, obj, data):
        return services.update_scenario(ctx, obj, data)

    def delete_object(self, ctx, obj):
        services.delete_scenario(ctx, obj)


class BaselineViewSet(PortolanViewSet):
    base_queryset = Baseline.objects.select_related("scenario")
    serializer_class = serializers.BaselineSerializer

    def create_object(self, ctx, data):
        return services.capture_baseline(ctx, data)

    def delete_object(self, ctx, obj):
        services.delete_baseline(ctx, obj)
