from django.contrib.auth import get_user_model
from rest_framework import serializers

from portolan.core.roles import VIEW
from portolan.portfolio.models import (
    Dependency,
    Effort,
    Initiative,
    Milestone,
    Objective,
    ObjectiveLink,
    RaciAssignment,
    Service,
    StatusUpdate,
    Tag,
    Team,
)
from portolan.portfolio.services import tag_objects


class RestrictedSerializer(serializers.ModelSerializer):
    """Related-object choices limited to what the requesting user may see."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        for field in fields.values():
            target = getattr(field, "child_relation", field)
            queryset = getattr(target, "queryset", None)
            if request is not None and queryset is not None and hasattr(queryset, "restrict"):
                target.queryset = queryset.restrict(request.user, VIEW)
        return fields


class ObjectiveSerializer(RestrictedSerializer):
    class Meta:
        model = Objective
        fields = ["id", "code", "name", "description", "parent", "weight", "created", "updated"]


class TeamSerializer(RestrictedSerializer):
    members = serializers.SlugRelatedField(
        many=True, slug_field="username", queryset=get_user_model().objects.all(), required=False
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "code",
            "name",
            "description",
            "capacity_pd_per_month",
            "lead",
            "members",
            "created",
            "updated",
        ]


class ServiceSerializer(RestrictedSerializer):
    class Meta:
        model = Service
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "owner_team",
            "criticality",
            "description",
            "created",
            "updated",
        ]


class InitiativeSerializer(RestrictedSerializer):
    tags = serializers.SlugRelatedField(
        many=True, slug_field="name", queryset=Tag.objects.all(), required=False
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Initiative
        fields = [
            "id",
            "key",
            "title",
            "description",
            "kind",
            "parent",
            "stage",
            "owner",
            "team",
            "health_overall",
            "health_schedule",
            "health_cost",
            "health_scope",
            "health_reason",
            "planned_start",
            "planned_finish",
            "baseline_start",
            "baseline_finish",
            "actual_start",
            "actual_finish",
            "budget_capex",
            "budget_opex",
            "forecast_cost",
            "actual_cost",
            "progress",
            "tags",
            "services",
            "created",
            "updated",
        ]

    def to_internal_value(self, data):
        # Unknown tags are created on first use (as on the page), not rejected.
        if hasattr(data, "getlist"):
            names = data.getlist("tags")
        else:
            names = data.get("tags") if isinstance(data, dict) else None
        if names:
            tag_objects([str(n) for n in names])
        return super().to_internal_value(data)


class DependencySerializer(RestrictedSerializer):
    class Meta:
        model = Dependency
        fields = ["id", "predecessor", "successor", "type", "lag_days", "hard", "note", "created", "updated"]


class MilestoneSerializer(RestrictedSerializer):
    class Meta:
        model = Milestone
        fields = [
            "id",
            "initiative",
            "name",
            "planned_date",
            "baseline_date",
            "actual_date",
            "status",
            "key_milestone",
            "created",
            "updated",
        ]


class StatusUpdateSerializer(RestrictedSerializer):
    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "initiative",
            "date",
            "author",
            "overall",
            "schedule",
            "cost",
            "scope",
            "narrative",
            "created",
        ]
        read_only_fields = ["author"]


class RaciAssignmentSerializer(RestrictedSerializer):
    class Meta:
        model = RaciAssignment
        fields = ["id", "initiative", "role", "user", "team", "note", "created", "updated"]

    def validate(self, attrs):
        user = attrs.get("user", getattr(self.instance, "user", None))
        team = attrs.get("team", getattr(self.instance, "team", None))
        if bool(user) == bool(team):
            raise serializers.ValidationError("Give either a user or a team (exactly one).")
        return attrs


class ObjectiveLinkSerializer(RestrictedSerializer):
    class Meta:
        model = ObjectiveLink
        fields = ["id", "initiative", "objective", "weight", "created", "updated"]


class EffortSerializer(RestrictedSerializer):
    class Meta:
        model = Effort
        fields = ["id", "initiative", "team", "person_days", "created", "updated"]
