from portolan.core.api.views import PortolanViewSet
from portolan.kpis import services
from portolan.kpis.api import serializers
from portolan.kpis.filters import KpiFilterSet, MeasurementFilterSet
from portolan.kpis.models import Kpi, Measurement


class KpiViewSet(PortolanViewSet):
    base_queryset = Kpi.objects.all()
    serializer_class = serializers.KpiSerializer
    filterset_class = KpiFilterSet


class MeasurementViewSet(PortolanViewSet):
    base_queryset = Measurement.objects.select_related("kpi")
    serializer_class = serializers.MeasurementSerializer
    filterset_class = MeasurementFilterSet

    def create_object(self, ctx, data):
        return services.add_measurement(ctx, data, source=Measurement.Source.API)

    def update_object(self, ctx, obj, data):
        return services.update_measurement(ctx, obj, data)
