"""Generic audited create/update/delete, used by every domain's services."""

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from portolan.core import audit
from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.core.roles import ADD, ALL, CHANGE, DELETE, NONE, grant


def check_permission(ctx: ChangeContext, obj: models.Model, action: str) -> None:
    """Refuse unless the actor may act on ``obj``. No actor means the system or the CLI."""
    if ctx.user is None:
        return
    if action == ADD:
        level = grant(ctx.user, ADD)
        if level == NONE or (level != ALL and not _owns_new(ctx.user, obj)):
            raise PermissionDenied(f"You may not create this {obj._meta.verbose_name}.")
        return
    if not obj.user_can(ctx.user, action):
        raise PermissionDenied(f"You may not {action} {obj}.")


def _owns_new(user, obj) -> bool:
    """Ownership of an unsaved object: a contributor may add what they or their team own."""
    target = getattr(obj, "initiative", None) or getattr(obj, "successor", None) or obj
    if target.pk is not None and target is not obj:
        return target.user_can(user, CHANGE)
    owner_id = getattr(target, "owner_id", None)
    team_id = getattr(target, "team_id", None) or getattr(target, "owner_team_id", None)
    if owner_id is not None and owner_id == user.pk:
        return True
    return team_id is not None and user.teams.filter(pk=team_id).exists()


def _assign(obj: models.Model, data: Mapping) -> dict:
    m2m = {}
    for name, value in data.items():
        field = obj._meta.get_field(name)
        if field.many_to_many:
            m2m[name] = value
        else:
            setattr(obj, name, value)
    return m2m


@transaction.atomic
def create(ctx: ChangeContext, model: type[models.Model], data: Mapping) -> models.Model:
    obj = model()
    m2m = _assign(obj, data)
    check_permission(ctx, obj, ADD)
    obj.full_clean()
    obj.save()
    for name, value in m2m.items():
        getattr(obj, name).set(value)
    audit.record(ctx, AuditEntry.Action.CREATE, obj, None, audit.snapshot(obj))
    return obj


@transaction.atomic
def update(ctx: ChangeContext, obj: models.Model, data: Mapping) -> models.Model:
    check_permission(ctx, obj, CHANGE)
    before = audit.snapshot(obj)
    m2m = _assign(obj, data)
    obj.full_clean()
    obj.save()
    for name, value in m2m.items():
        getattr(obj, name).set(value)
    audit.record(ctx, AuditEntry.Action.UPDATE, obj, before, audit.snapshot(obj))
    return obj


@transaction.atomic
def delete(ctx: ChangeContext, obj: models.Model) -> None:
    check_permission(ctx, obj, DELETE)
    before = audit.snapshot(obj)
    audit.record(ctx, AuditEntry.Action.DELETE, obj, before, None)
    obj.delete()
