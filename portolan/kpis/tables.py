from django.utils.html import format_html
from django.utils.safestring import mark_safe

from portolan.core.tables import Column, Table
from portolan.portfolio.tables import rag_badge


class KpiTable(Table):
    """The catalogue; ``statuses`` (pk -> KpiStatus) adds the evaluated columns."""

    columns = (
        Column("code", "Code", "code", link=True),
        Column("name", "Name", "name"),
        Column("category", "Category", "category"),
        Column("status", "Status"),
        Column("last", "Last value"),
        Column("target", "Target", "target"),
        Column("direction", "Direction", "direction"),
        Column("frequency", "Frequency", "frequency"),
        Column("owner", "Owner", "owner__username"),
        Column("source", "Source", "source"),
    )

    def rows(self, objects) -> list[dict]:
        from django.utils import timezone

        from portolan.kpis.services import evaluate

        objects = list(objects)
        self.statuses = {s.kpi.pk: s for s in evaluate(objects, timezone.localdate())}
        return super().rows(objects)

    def render_status(self, obj):
        status = self.statuses.get(obj.pk)
        if status is None or status.last_value is None:
            return mark_safe('<span class="badge rag-none">– no data</span>')  # noqa: S308 - constant
        stale = (
            mark_safe(' <span class="badge text-bg-secondary" title="No recent value">stale</span>')  # noqa: S308
            if status.stale
            else ""
        )
        return format_html("{}{}", rag_badge(status.status), stale)

    def render_last(self, obj):
        status = self.statuses.get(obj.pk)
        if status is None or status.last_value is None:
            return "—"
        return format_html(
            "{} {} <span class='text-body-secondary small'>({}) {}</span>",
            f"{status.last_value:g}",
            obj.unit,
            status.last_period,
            status.trend_arrow,
        )

    def render_target(self, obj):
        return f"{obj.target:g} {obj.unit}"

    def render_direction(self, obj):
        return "↑ higher" if obj.direction == "higher_is_better" else "↓ lower"

    def render_frequency(self, obj):
        return obj.get_frequency_display()

    def render_owner(self, obj):
        return (obj.owner.get_full_name() or obj.owner.username) if obj.owner else (obj.team or "")

    def render_source(self, obj):
        return obj.get_source_display()


class MeasurementTable(Table):
    columns = (
        Column("kpi", "KPI", "kpi__code"),
        Column("period", "Period", "period_start"),
        Column("value", "Value", "value"),
        Column("status", "RAG"),
        Column("source", "Source", "source"),
        Column("note", "Note"),
        Column("entered_by", "Entered by", "entered_by__username"),
    )

    def render_kpi(self, obj):
        return format_html('<a href="{}">{}</a> {}', obj.kpi.get_absolute_url(), obj.kpi.code, obj.kpi.name)

    def render_value(self, obj):
        return f"{obj.value:g} {obj.kpi.unit}"

    def render_status(self, obj):
        from portolan.engine.kpi import evaluate

        return rag_badge(evaluate(obj.kpi.thresholds, obj.value))

    def render_source(self, obj):
        return obj.get_source_display()
