from rest_framework import serializers

from portolan.portfolio.api.serializers import RestrictedSerializer
from portolan.risks.models import DurationEstimate, MitigationAction, Risk, RiskScoreChange


class RiskScoreChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskScoreChange
        fields = [
            "date",
            "probability",
            "impact",
            "residual_probability",
            "residual_impact",
            "inherent_score",
            "residual_score",
            "changed_by",
            "reason",
        ]


class RiskSerializer(RestrictedSerializer):
    score_history = RiskScoreChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Risk
        fields = [
            "id",
            "key",
            "title",
            "category",
            "cause",
            "event",
            "effect",
            "probability",
            "impact",
            "residual_probability",
            "residual_impact",
            "inherent_score",
            "residual_score",
            "owner",
            "team",
            "response",
            "status",
            "proximity",
            "review_date",
            "initiatives",
            "objectives",
            "schedule_delay_min",
            "schedule_delay_likely",
            "schedule_delay_max",
            "score_history",
            "created",
            "updated",
        ]
        read_only_fields = ["inherent_score", "residual_score"]


class MitigationActionSerializer(RestrictedSerializer):
    class Meta:
        model = MitigationAction
        fields = [
            "id",
            "risk",
            "title",
            "owner",
            "due_date",
            "status",
            "expected_effect",
            "completed_date",
            "created",
            "updated",
        ]


class DurationEstimateSerializer(RestrictedSerializer):
    class Meta:
        model = DurationEstimate
        fields = [
            "id",
            "initiative",
            "optimistic_days",
            "most_likely_days",
            "pessimistic_days",
            "note",
            "created",
            "updated",
        ]
