from portolan.planning.models import Baseline, PlanningInput, Scenario, ScoringModel, SelectionRule
from portolan.portfolio.api.serializers import RestrictedSerializer


class PlanningInputSerializer(RestrictedSerializer):
    class Meta:
        model = PlanningInput
        fields = [
            "id",
            "initiative",
            "business_value",
            "time_criticality",
            "risk_reduction",
            "job_size",
            "criteria",
            "mandatory",
            "mandatory_reason",
            "duration_months",
            "earliest_start",
            "deadline",
            "fixed_start",
            "manual_rank",
            "rank_reason",
            "created",
            "updated",
        ]


class ScoringModelSerializer(RestrictedSerializer):
    class Meta:
        model = ScoringModel
        fields = ["id", "name", "kind", "criteria", "is_default", "description", "created", "updated"]


class SelectionRuleSerializer(RestrictedSerializer):
    class Meta:
        model = SelectionRule
        fields = ["id", "initiative", "kind", "other", "note", "created", "updated"]


class ScenarioSerializer(RestrictedSerializer):
    class Meta:
        model = Scenario
        fields = [
            "id",
            "name",
            "description",
            "based_on",
            "is_plan_of_record",
            "scoring_model",
            "start",
            "horizon_months",
            "budgets",
            "capacity_factors",
            "forced_in",
            "forced_out",
            "date_overrides",
            "status",
            "solved_at",
            "results",
            "created",
            "updated",
        ]
        read_only_fields = ["is_plan_of_record", "status", "solved_at", "results"]
        extra_kwargs = {"start": {"required": False}}


class BaselineSerializer(RestrictedSerializer):
    class Meta:
        model = Baseline
        fields = ["id", "name", "date", "scenario", "note", "snapshot", "created", "updated"]
        read_only_fields = ["snapshot"]
        extra_kwargs = {"date": {"required": False}}
