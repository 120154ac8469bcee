from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

_RAG_ICON = {"green": "●", "amber": "▲", "red": "■"}


@register.filter
def bs(field):
    """Render a form field with Bootstrap classes and its error state."""
    widget = field.field.widget
    css = (
        "form-select"
        if field.widget_type in ("select", "selectmultiple", "nullbooleanselect")
        else "form-control"
    )
    attrs = {"class": f"{css}{' is-invalid' if field.errors else ''}"}
    if field.errors:
        attrs["aria-invalid"] = "true"
    if field.help_text:
        attrs["aria-describedby"] = f"{field.auto_id}_help"
    return field.as_widget(attrs={**widget.attrs, **attrs})


@register.filter
def rag(value, label: str = ""):
    """A RAG badge: colour plus a shape and a word, readable without colour."""
    if not value:
        return mark_safe('<span class="badge rag-none">– not set</span>')  # noqa: S308 - constant
    return format_html(
        '<span class="badge rag-{}">{} {}</span>',
        value,
        _RAG_ICON.get(value, ""),
        label or str(value).capitalize(),
    )


@register.filter
def money(value) -> str:
    if value in (None, ""):
        return "—"
    amount = Decimal(value)
    if abs(amount) >= 1_000_000:
        return f"{settings.CURRENCY} {amount / 1_000_000:,.1f}M"
    if abs(amount) >= 10_000:
        return f"{settings.CURRENCY} {amount / 1000:,.0f}k"
    return f"{settings.CURRENCY} {amount:,.0f}"


@register.simple_tag(takes_context=True)
def query(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()
