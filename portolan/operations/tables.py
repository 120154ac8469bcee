from django.utils.html import format_html

from portolan.core.tables import Column, Table


class EventLogTable(Table):
    columns = (
        Column("name", "Name", "name", link=True),
        Column("source_name", "Source file", "source_name"),
        Column("events", "Events", "events"),
        Column("cases", "Cases", "cases"),
        Column("span", "Time span", "first_timestamp"),
        Column("bad_rows", "Quarantined rows", "bad_rows"),
        Column("team", "Owner team", "team__name"),
        Column("created", "Imported", "created"),
    )

    def render_events(self, obj):
        return f"{obj.events:,}"

    def render_cases(self, obj):
        return f"{obj.cases:,}"

    def render_span(self, obj):
        if not obj.first_timestamp:
            return "—"
        return f"{obj.first_timestamp:%Y-%m-%d} → {obj.last_timestamp:%Y-%m-%d}"

    def render_created(self, obj):
        return f"{obj.created:%Y-%m-%d %H:%M}"


class FindingTable(Table):
    columns = (
        Column("impact", "Impact (h/month)", "impact_hours_per_month"),
        Column("title", "Finding", "title"),
        Column("share", "Share of cases", "share_of_cases"),
        Column("eventlog", "Event log", "eventlog__name"),
        Column("kpi_code", "KPI", "kpi_code"),
        Column("status", "Status", "status"),
    )

    def render_impact(self, obj):
        return format_html("<strong>{}</strong>", f"{obj.impact_hours_per_month:,.0f}")

    def render_title(self, obj):
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.title)

    def render_share(self, obj):
        return f"{obj.share_of_cases:.1%}"

    def render_status(self, obj):
        if obj.initiative_id:
            return format_html(
                '{} · <a href="{}">{}</a>',
                obj.get_status_display(),
                obj.initiative.get_absolute_url(),
                obj.initiative.key,
            )
        return obj.get_status_display()
