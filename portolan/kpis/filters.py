import django_filters
from django.contrib.auth import get_user_model

from portolan.kpis.models import Direction, Frequency, Kpi, Measurement
from portolan.portfolio.filters import SearchFilterSet
from portolan.portfolio.models import Team


class KpiFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "description", "category")
    category = django_filters.ChoiceFilter(choices=[], label="Category")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices)
    source = django_filters.ChoiceFilter(choices=Kpi.Source.choices)
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())

    class Meta:
        model = Kpi
        fields = ["q", "category", "direction", "frequency", "source", "team", "owner", "on_dashboard"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = Kpi.objects.order_by("category").values_list("category", flat=True).distinct()
        self.filters["category"].extra["choices"] = [(c, c) for c in categories if c]


class MeasurementFilterSet(SearchFilterSet):
    search_fields = ("kpi__code", "kpi__name", "period", "note")
    kpi = django_filters.ModelChoiceFilter(queryset=Kpi.objects.all(), label="KPI")
    source = django_filters.ChoiceFilter(choices=Measurement.Source.choices)
    since = django_filters.DateFilter(field_name="period_start", lookup_expr="gte", label="From")
    until = django_filters.DateFilter(field_name="period_start", lookup_expr="lte", label="Until")

    class Meta:
        model = Measurement
        fields = ["q", "kpi", "source", "since", "until"]
