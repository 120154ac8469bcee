import django_filters
from rest_framework import mixins, viewsets

from portolan.core.api.views import PortolanViewSet
from portolan.portfolio import services
from portolan.portfolio.api import serializers
from portolan.portfolio.filters import (
    InitiativeFilterSet,
    ObjectiveFilterSet,
    ServiceFilterSet,
    TeamFilterSet,
)
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
    Team,
)


class ObjectiveViewSet(PortolanViewSet):
    base_queryset = Objective.objects.all()
    serializer_class = serializers.ObjectiveSerializer
    filterset_class = ObjectiveFilterSet


class TeamViewSet(PortolanViewSet):
    base_queryset = Team.objects.prefetch_related("members")
    serializer_class = serializers.TeamSerializer
    filterset_class = TeamFilterSet


class ServiceViewSet(PortolanViewSet):
    base_queryset = Service.objects.all()
    serializer_class = serializers.ServiceSerializer
    filterset_class = ServiceFilterSet


class InitiativeViewSet(PortolanViewSet):
    base_queryset = Initiative.objects.select_related("owner").prefetch_related("tags", "services")
    serializer_class = serializers.InitiativeSerializer
    filterset_class = InitiativeFilterSet

    def create_object(self, ctx, data):
        return services.create_initiative(ctx, data)

    def update_object(self, ctx, obj, data):
        return services.update_initiative(ctx, obj, data)


def _initiative_filters(model, *fields):
    return type(
        f"{model.__name__}FilterSet",
        (django_filters.FilterSet,),
        {"Meta": type("Meta", (), {"model": model, "fields": list(fields)})},
    )


class DependencyViewSet(PortolanViewSet):
    base_queryset = Dependency.objects.all()
    serializer_class = serializers.DependencySerializer
    filterset_class = _initiative_filters(Dependency, "predecessor", "successor", "type", "hard")

    def create_object(self, ctx, data):
        return services.add_dependency(ctx, data)

    def update_object(self, ctx, obj, data):
        return services.update_dependency(ctx, obj, data)


class MilestoneViewSet(PortolanViewSet):
    base_queryset = Milestone.objects.all()
    serializer_class = serializers.MilestoneSerializer
    filterset_class = _initiative_filters(Milestone, "initiative", "status", "key_milestone")


class StatusUpdateViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Append-only: status updates are created and read, never changed or deleted."""

    base_queryset = StatusUpdate.objects.all()
    serializer_class = serializers.StatusUpdateSerializer
    filterset_class = _initiative_filters(StatusUpdate, "initiative", "overall")
    get_queryset = PortolanViewSet.get_queryset
    context = PortolanViewSet.context
    _guard = PortolanViewSet._guard

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        initiative = data.pop("initiative")
        serializer.instance = self._guard(services.add_status_update, self.context(), initiative, data)


class RaciAssignmentViewSet(PortolanViewSet):
    base_queryset = RaciAssignment.objects.all()
    serializer_class = serializers.RaciAssignmentSerializer
    filterset_class = _initiative_filters(RaciAssignment, "initiative", "role", "user", "team")

    def create_object(self, ctx, data):
        return services.set_raci(ctx, data)

    def update_object(self, ctx, obj, data):
        return services.update_raci(ctx, obj, data)

    def delete_object(self, ctx, obj):
        services.remove_raci(ctx, obj)


class ObjectiveLinkViewSet(PortolanViewSet):
    base_queryset = ObjectiveLink.objects.all()
    serializer_class = serializers.ObjectiveLinkSerializer
    filterset_class = _initiative_filters(ObjectiveLink, "initiative", "objective")


class EffortViewSet(PortolanViewSet):
    base_queryset = Effort.objects.all()
    serializer_class = serializers.EffortSerializer
    filterset_class = _initiative_filters(Effort, "initiative", "team")
