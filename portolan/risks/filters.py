import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from portolan.portfolio.filters import SearchFilterSet
from portolan.portfolio.models import Initiative, Objective, Team
from portolan.risks.models import MitigationAction, Risk

SCALE = [(i, str(i)) for i in range(1, 6)]


@extend_schema_field(OpenApiTypes.INT)
class ProgramFilter(django_filters.ModelChoiceFilter):
    """A program's id: its own risks and those of its projects."""


BANDS = [("green", "Low (1–4)"), ("amber", "Medium (5–12)"), ("red", "High (15–25)")]


class RiskFilterSet(SearchFilterSet):
    search_fields = ("key", "title", "cause", "event", "effect")
    category = django_filters.MultipleChoiceFilter(choices=Risk.Category.choices)
    status = django_filters.MultipleChoiceFilter(choices=Risk.Status.choices)
    response = django_filters.MultipleChoiceFilter(choices=Risk.Response.choices)
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    probability = django_filters.TypedChoiceFilter(choices=SCALE, coerce=int)
    impact = django_filters.TypedChoiceFilter(choices=SCALE, coerce=int)
    residual_probability = django_filters.TypedChoiceFilter(choices=SCALE, coerce=int, label="Residual prob.")
    residual_impact = django_filters.TypedChoiceFilter(choices=SCALE, coerce=int, label="Residual impact")
    band = django_filters.ChoiceFilter(choices=BANDS, method="filter_band", label="Residual band")
    initiative = django_filters.ModelChoiceFilter(
        field_name="initiatives", queryset=Initiative.objects.all(), label="Initiative"
    )
    objective = django_filters.ModelChoiceFilter(
        field_name="objectives", queryset=Objective.objects.all(), label="Objective"
    )
    program = ProgramFilter(
        queryset=Initiative.objects.filter(kind=Initiative.Kind.PROGRAM),
        method="filter_program",
        label="Program",
    )
    review = django_filters.ChoiceFilter(
        choices=[("due", "Review overdue")], method="filter_review", label="Review"
    )

    class Meta:
        model = Risk
        fields = [
            "q",
            "category",
            "status",
            "response",
            "team",
            "owner",
            "probability",
            "impact",
            "residual_probability",
            "residual_impact",
            "band",
            "initiative",
            "objective",
            "program",
            "review",
        ]

    def filter_band(self, queryset, name, value):
        return {
            "red": queryset.filter(residual_score__gte=15),
            "amber": queryset.filter(residual_score__gte=5, residual_score__lt=15),
            "green": queryset.filter(residual_score__lt=5),
        }.get(value, queryset)

    def filter_program(self, queryset, name, value):
        return queryset.filter(Q(initiatives=value) | Q(initiatives__parent=value)).distinct()

    def filter_review(self, queryset, name, value):
        return queryset.exclude(status=Risk.Status.CLOSED).filter(review_date__lt=timezone.localdate())


class MitigationActionFilterSet(SearchFilterSet):
    search_fields = ("title", "risk__key", "risk__title", "expected_effect")
    status = django_filters.MultipleChoiceFilter(choices=MitigationAction.Status.choices)
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    risk = django_filters.ModelChoiceFilter(queryset=Risk.objects.all())
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue only")

    class Meta:
        model = MitigationAction
        fields = ["q", "status", "owner", "risk", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.filter(status__in=MitigationAction.OPEN, due_date__lt=timezone.localdate())
        return queryset
