from django.utils.html import format_html

from portolan.core.tables import Column, Table
from portolan.portfolio.tables import rag_badge


def score_badge(score: int, band: str):
    return format_html(
        "{} {}", rag_badge(band, {"green": "Low", "amber": "Medium", "red": "High"}[band]), score
    )


class RiskTable(Table):
    columns = (
        Column("key", "Key", "key", link=True),
        Column("title", "Title", "title"),
        Column("category", "Category", "category"),
        Column("inherent", "Inherent P×I", "inherent_score"),
        Column("residual", "Residual P×I", "residual_score"),
        Column("response", "Response", "response"),
        Column("status", "Status", "status"),
        Column("owner", "Owner", "owner__username"),
        Column("team", "Team", "team__name"),
        Column("review_date", "Review", "review_date"),
    )

    def render_category(self, obj):
        return obj.get_category_display()

    def render_inherent(self, obj):
        return format_html(
            "{}×{} = {}", obj.probability, obj.impact, score_badge(obj.inherent_score, obj.inherent_band)
        )

    def render_residual(self, obj):
        return format_html(
            "{}×{} = {}",
            obj.residual_probability,
            obj.residual_impact,
            score_badge(obj.residual_score, obj.residual_band),
        )

    def render_response(self, obj):
        return obj.get_response_display()

    def render_status(self, obj):
        return obj.get_status_display()

    def render_owner(self, obj):
        return (obj.owner.get_full_name() or obj.owner.username) if obj.owner else ""

    def render_review_date(self, obj):
        if obj.review_date is None:
            return ""
        if obj.review_overdue:
            return format_html('<span class="text-danger">⚠ {} overdue</span>', f"{obj.review_date:%Y-%m-%d}")
        return f"{obj.review_date:%Y-%m-%d}"


class MitigationActionTable(Table):
    columns = (
        Column("risk", "Risk", "risk__key"),
        Column("title", "Action", "title"),
        Column("owner", "Owner", "owner__username"),
        Column("due_date", "Due", "due_date"),
        Column("status", "Status", "status"),
        Column("expected_effect", "Expected effect"),
    )

    def render_risk(self, obj):
        return format_html('<a href="{}">{}</a>', obj.risk.get_absolute_url(), obj.risk.key)

    def render_owner(self, obj):
        return (obj.owner.get_full_name() or obj.owner.username) if obj.owner else ""

    def render_due_date(self, obj):
        if obj.due_date is None:
            return ""
        if obj.is_overdue:
            return format_html(
                '<span class="text-danger fw-semibold">⚠ {} overdue</span>', f"{obj.due_date:%Y-%m-%d}"
            )
        return f"{obj.due_date:%Y-%m-%d}"

    def render_status(self, obj):
        return obj.get_status_display()
