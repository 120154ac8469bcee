import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from portolan.portfolio.models import RAG, Initiative, Objective, Service, Tag, Team


class SearchFilterSet(django_filters.FilterSet):
    """A free-text ``q`` over the fields named in ``search_fields``."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(method="search", label="Search")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value})
        return queryset.filter(query)


class PersonChoiceField(forms.ModelMultipleChoiceField):
    """People by name, as the tables show them (the username when there is no name)."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class PersonFilter(django_filters.ModelMultipleChoiceFilter):
    field_class = PersonChoiceField


NOT_SET = "none"


class InitiativeFilterSet(SearchFilterSet):
    search_fields = ("key", "title", "description")
    team = django_filters.ModelMultipleChoiceFilter(queryset=Team.objects.all())
    kind = django_filters.MultipleChoiceFilter(choices=Initiative.Kind.choices)
    stage = django_filters.MultipleChoiceFilter(choices=Initiative.Stage.choices)
    health = django_filters.MultipleChoiceFilter(
        choices=[*RAG.choices, (NOT_SET, "Not set")], method="filter_health", label="Health"
    )
    objective = django_filters.ModelMultipleChoiceFilter(
        field_name="objectives", queryset=Objective.objects.all(), distinct=True, label="Objective"
    )
    owner = PersonFilter(queryset=get_user_model().objects.order_by("first_name", "last_name", "username"))
    # Tag names: declared as strings for the OpenAPI schema, which cannot infer it through tags__name.
    tag = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            field_name="tags__name",
            to_field_name="name",
            queryset=Tag.objects.all(),
            distinct=True,
            label="Tag",
        )
    )
    parent = django_filters.ModelChoiceFilter(
        queryset=Initiative.objects.filter(kind=Initiative.Kind.PROGRAM), label="Program"
    )

    class Meta:
        model = Initiative
        fields = ["q", "team", "kind", "stage", "health", "objective", "owner", "tag", "parent"]

    def filter_health(self, queryset, name, values):
        if not values:
            return queryset
        wanted = [("" if v == NOT_SET else v) for v in values]
        return queryset.filter(health_overall__in=wanted)


class ObjectiveFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "description")

    class Meta:
        model = Objective
        fields = ["q", "parent"]


class TeamFilterSet(SearchFilterSet):
    search_fields = ("code", "name")

    class Meta:
        model = Team
        fields = ["q"]


class ServiceFilterSet(SearchFilterSet):
    search_fields = ("code", "name", "description")

    class Meta:
        model = Service
        fields = ["q", "kind", "owner_team", "criticality"]
