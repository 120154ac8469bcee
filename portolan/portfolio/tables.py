from django.utils.html import format_html_join

from portolan.core.tables import Column, Table
from portolan.core.templatetags.portolan import money
from portolan.core.templatetags.portolan import rag as rag_badge  # one RAG badge everywhere


class InitiativeTable(Table):
    columns = (
        Column("key", "Key", "key", link=True),
        Column("title", "Title", "title"),
        Column("kind", "Kind", "kind"),
        Column("stage", "Stage", "stage"),
        Column("health_overall", "Health", "health_overall"),
        Column("team", "Team", "team__name"),
        Column("owner", "Owner", "owner__username"),
        Column("planned_finish", "Planned finish", "planned_finish"),
        Column("budget", "Budget (capex + opex)", "budget_sum"),
        Column("tags", "Tags"),
    )

    def render_kind(self, obj):
        return obj.get_kind_display()

    def render_stage(self, obj):
        return obj.get_stage_display()

    def render_health_overall(self, obj):
        return rag_badge(obj.health_overall)

    def render_owner(self, obj):
        return obj.owner.get_full_name() or obj.owner.username if obj.owner else ""

    def render_budget(self, obj):
        return money(obj.budget_total)

    def render_tags(self, obj):
        return format_html_join(
            " ", '<span class="badge text-bg-light border">{}</span>', ((t.name,) for t in obj.tags.all())
        )


class ObjectiveTable(Table):
    columns = (
        Column("code", "Code", "code", link=True),
        Column("name", "Name", "name"),
        Column("parent", "Theme", "parent__code"),
        Column("weight", "Weight", "weight"),
    )


class TeamTable(Table):
    columns = (
        Column("code", "Code", "code", link=True),
        Column("name", "Name", "name"),
        Column("capacity_pd_per_month", "Capacity (pd/month)", "capacity_pd_per_month"),
        Column("lead", "Lead", "lead__username"),
    )


class ServiceTable(Table):
    columns = (
        Column("code", "Code", "code", link=True),
        Column("name", "Name", "name"),
        Column("kind", "Kind", "kind"),
        Column("owner_team", "Owner team", "owner_team__name"),
        Column("criticality", "Criticality", "criticality"),
    )

    def render_kind(self, obj):
        return obj.get_kind_display()

    def render_criticality(self, obj):
        return obj.get_criticality_display()
