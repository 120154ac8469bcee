import django_filters

from portolan.core.api.views import PortolanViewSet
from portolan.risks import services
from portolan.risks.api import serializers
from portolan.risks.filters import MitigationActionFilterSet, RiskFilterSet
from portolan.risks.models import DurationEstimate, MitigationAction, Risk


class RiskViewSet(PortolanViewSet):
    base_queryset = Risk.objects.prefetch_related("initiatives", "objectives", "score_history")
    serializer_class = serializers.RiskSerializer
    filterset_class = RiskFilterSet

    def create_object(self, ctx, data):
        return services.create_risk(ctx, data)

    def update_object(self, ctx, obj, data):
        return services.update_risk(ctx, obj, data)

    def delete_object(self, ctx, obj):
        services.delete_risk(ctx, obj)


class MitigationActionViewSet(PortolanViewSet):
    base_queryset = MitigationAction.objects.all()
    serializer_class = serializers.MitigationActionSerializer
    filterset_class = MitigationActionFilterSet

    def create_object(self, ctx, data):
        return services.add_action(ctx, data)

    def update_object(self, ctx, obj, data):
        return services.update_action(ctx, obj, data)


class DurationEstimateViewSet(PortolanViewSet):
    base_queryset = DurationEstimate.objects.all()
    serializer_class = serializers.DurationEstimateSerializer
    filterset_class = type(
        "DurationEstimateFilterSet",
        (django_filters.FilterSet,),
        {"Meta": type("Meta", (), {"model": DurationEstimate, "fields": ["initiative"]})},
    )
