"""Recording changes: services call :func:`record` inside their own transaction."""

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models

from portolan.core.models import AuditEntry


@dataclass(frozen=True)
class ChangeContext:
    """Who is changing things, from where, under which request id, and why."""

    user: object | None
    source: str = AuditEntry.Source.WEB
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    reason: str = ""

    @classmethod
    def from_request(cls, request, source: str = AuditEntry.Source.WEB, reason: str = "") -> "ChangeContext":
        request_id = getattr(request, "request_id", "") or uuid.uuid4().hex
        return cls(user=request.user, source=source, request_id=request_id, reason=reason)

    def with_reason(self, reason: str) -> "ChangeContext":
        return ChangeContext(self.user, self.source, self.request_id, reason)


def _plain(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model) -> dict:
    """A JSON-ready dict of the object's concrete fields (foreign keys as ids)."""
    exclude = getattr(obj, "audit_exclude", ())
    data = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        value = getattr(obj, f.attname)
        if isinstance(f, models.DecimalField) and value is not None:
            # As stored: Decimal("1") from a form and Decimal("1.00") from the database are one value.
            value = decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-f.decimal_places))
        data[f.attname] = _plain(value)
    for f in obj._meta.many_to_many:
        if obj.pk is not None and f.name not in exclude:
            data[f.name] = sorted(str(v) for v in getattr(obj, f.name).values_list("pk", flat=True))
    return data


def record(
    ctx: ChangeContext,
    action: str,
    obj: models.Model,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry | None:
    """Write one audit row. Updates that change nothing are not recorded."""
    if action == AuditEntry.Action.UPDATE and before == after:
        return None
    user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "system",
        action=action,
        source=ctx.source,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        before=before,
        after=after,
        request_id=ctx.request_id,
        reason=ctx.reason,
        scope=audit_scope(obj),
    )


def audit_scope(obj: models.Model) -> str:
    scope = getattr(obj, "audit_scope", None)
    if scope is not None:
        return scope()
    return f"{obj._meta.app_label}.{obj._meta.model_name}:{obj.pk}"


def history(obj: models.Model):
    """The changes to ``obj`` and to what hangs off it, newest first."""
    return AuditEntry.objects.filter(scope=audit_scope(obj)).select_related("actor", "content_type")
