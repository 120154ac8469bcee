"""Operations API: read event logs, findings and delivery data sets; findings change status or
become improvement initiatives; imports are file uploads (the pages and the CLI)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from portolan.core.api.views import PortolanViewSet
from portolan.core.roles import CHANGE
from portolan.operations import services
from portolan.operations.api import serializers
from portolan.operations.filters import EventLogFilterSet, FindingFilterSet
from portolan.operations.models import DeliveryDataset, EventLog, Finding
from portolan.portfolio.api.serializers import InitiativeSerializer
from portolan.portfolio.models import Initiative

READ_DELETE = ["get", "delete", "head", "options"]


class EventLogViewSet(PortolanViewSet):
    base_queryset = EventLog.objects.select_related("team")
    serializer_class = serializers.EventLogSerializer
    filterset_class = EventLogFilterSet
    http_method_names = READ_DELETE

    def delete_object(self, ctx, obj):
        services.delete_eventlog(ctx, obj)


class FindingViewSet(PortolanViewSet):
    base_queryset = Finding.objects.select_related("eventlog")
    serializer_class = serializers.FindingSerializer
    filterset_class = FindingFilterSet
    http_method_names = ["get", "patch", "post", "head", "options"]

    def check_permissions(self, request):
        # The improve action checks its own rights (it creates an initiative, not a finding).
        if self.action == "improve":
            return super(PortolanViewSet, self).check_permissions(request)
        return super().check_permissions(request)

    def create(self, request, *args, **kwargs):
        raise exceptions.MethodNotAllowed("POST", "Findings come from event log imports.")

    def update_object(self, ctx, obj, data):
        return services.set_finding_status(ctx, obj, data.get("status", obj.status))

    @action(detail=True, methods=["post"])
    def improve(self, request, pk=None):
        """Turn the finding into an improvement initiative (201 with the initiative)."""
        finding = self.get_object()
        if not finding.user_can(request.user, CHANGE) or not Initiative.user_can_add(request.user):
            raise exceptions.PermissionDenied("You may not turn this finding into an initiative.")
        try:
            initiative = self._guard(services.create_improvement, self.context(), finding)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        return Response(
            InitiativeSerializer(initiative, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class DeliveryDatasetViewSet(PortolanViewSet):
    base_queryset = DeliveryDataset.objects.select_related("team")
    serializer_class = serializers.DeliveryDatasetSerializer
    http_method_names = READ_DELETE

    def delete_object(self, ctx, obj):
        services.delete_delivery(ctx, obj)
