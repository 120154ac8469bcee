import django_filters

from portolan.operations.models import EventLog, Finding
from portolan.portfolio.filters import SearchFilterSet


class EventLogFilterSet(SearchFilterSet):
    search_fields = ("name", "source_name")

    class Meta:
        model = EventLog
        fields = ["q", "team", "preset"]


class FindingFilterSet(SearchFilterSet):
    search_fields = ("title", "code")
    status = django_filters.MultipleChoiceFilter(choices=Finding.Status.choices)
    eventlog = django_filters.ModelChoiceFilter(queryset=EventLog.objects.all(), label="Event log")

    class Meta:
        model = Finding
        fields = ["q", "eventlog", "status", "code"]
