from rest_framework import serializers

from portolan.operations.models import DeliveryDataset, EventLog, Finding


class EventLogSerializer(serializers.ModelSerializer):
    class Meta:
        model = EventLog
        fields = [
            "id", "name", "source_name", "preset", "mapping", "team", "imported_by", "events", "cases",
            "activities", "duplicate_events", "first_timestamp", "last_timestamp", "bad_rows",
            "bad_row_summary", "analysis", "created", "updated",
        ]  # fmt: skip
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = [
            "id", "eventlog", "code", "title", "impact_hours_per_month", "share_of_cases",
            "evidence_case_ids", "evidence_total", "details", "kpi_code", "kpi", "status", "initiative",
            "rank", "created", "updated",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f != "status"]


class DeliveryDatasetSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryDataset
        fields = [
            "id", "name", "source_name", "preset", "mapping", "team", "imported_by", "deployments",
            "changes", "incidents", "first_timestamp", "last_timestamp", "bad_rows", "metrics",
            "created", "updated",
        ]  # fmt: skip
        read_only_fields = fields
