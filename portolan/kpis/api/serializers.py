from rest_framework import serializers

from portolan.kpis.models import Kpi, Measurement
from portolan.portfolio.api.serializers import RestrictedSerializer


class KpiSerializer(RestrictedSerializer):
    class Meta:
        model = Kpi
        fields = [
            "id",
            "code",
            "name",
            "description",
            "formula",
            "unit",
            "direction",
            "target",
            "amber",
            "red",
            "frequency",
            "owner",
            "team",
            "category",
            "source",
            "reference",
            "on_dashboard",
            "created",
            "updated",
        ]


class MeasurementSerializer(RestrictedSerializer):
    """``kpi`` is the KPI's code; ``period`` is 2026-03, 2026-Q1, 2026-W09 or 2026-03-31."""

    kpi = serializers.SlugRelatedField(slug_field="code", queryset=Kpi.objects.all())
    period = serializers.CharField(max_length=12)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "kpi",
            "period",
            "period_start",
            "period_end",
            "value",
            "note",
            "source",
            "entered_by",
            "created",
        ]
        read_only_fields = ["period_start", "period_end", "source", "entered_by"]
