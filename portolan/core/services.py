"""Generic audited create/update/delete, used by every domain's services."""

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.db.models.deletion import Collector

from portolan.core import audit
from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.core.roles import ADD, ALL, CHANGE, DELETE, NONE, OWN, grant


def check_permission(ctx: ChangeContext, obj: models.Model, action: str) -> None:
    """Refuse unless the actor may act on ``obj``. No actor means the system or the CLI."""
    if ctx.user is None:
        return
    if action == ADD:
        level = grant(ctx.user, ADD)
        if level == NONE or (level != ALL and not owns_state(ctx.user, obj)):
            raise PermissionDenied(f"You may not create this {obj._meta.verbose_name}.")
        return
    if not obj.user_can(ctx.user, action):
        raise PermissionDenied(f"You may not {action} {obj}.")


def owns_state(user, obj) -> bool:
    """Whether the object, as it is in memory (new or just edited), is the user's or their team's.

    Objects owned through a parent (``ownership_parent``, or a required ``initiative``
    foreign key) are owned when the user may change that parent; objects with an owner or
    a team are owned through those; anything else keeps the ownership it has in the database.
    """
    parent_field = getattr(obj, "ownership_parent", None) or _required_initiative(obj)
    if parent_field:
        target = getattr(obj, parent_field, None)
        return target is not None and target.user_can(user, CHANGE)
    names = {f.attname for f in obj._meta.concrete_fields}
    people, teams = names & {"owner_id", "created_by_id"}, names & {"team_id", "owner_team_id"}
    if not people and not teams:
        return obj.pk is not None and obj.user_can(user, CHANGE)
    if any(getattr(obj, name) == user.pk for name in people):
        return True
    team_ids = {getattr(obj, name) for name in teams} - {None}
    return bool(team_ids) and user.teams.filter(pk__in=team_ids).exists()


def _required_initiative(obj: models.Model) -> str | None:
    field = next((f for f in obj._meta.concrete_fields if f.name == "initiative"), None)
    return "initiative" if field is not None and not field.null else None


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
    if ctx.user is not None and grant(ctx.user, CHANGE) == OWN and not owns_state(ctx.user, obj):
        # Editing may not move an object onto something the user does not own.
        raise PermissionDenied(f"You may not give {obj} to an initiative or team you do not own.")
    obj.full_clean()
    obj.save()
    for name, value in m2m.items():
        getattr(obj, name).set(value)
    audit.record(ctx, AuditEntry.Action.UPDATE, obj, before, audit.snapshot(obj))
    return obj


@transaction.atomic
def delete(ctx: ChangeContext, obj: models.Model) -> None:
    """Delete the object and record it and everything its deletion cascades to."""
    check_permission(ctx, obj, DELETE)
    for instance in _cascade(obj):
        audit.record(ctx, AuditEntry.Action.DELETE, instance, audit.snapshot(instance), None)
    obj.delete()


def _cascade(obj: models.Model) -> list[models.Model]:
    """The object and every row its deletion would remove (Django's own collector)."""
    collector = Collector(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    found = [instance for instances in collector.data.values() for instance in instances]
    for queryset in collector.fast_deletes:
        found.extend(queryset)
    return [i for i in found if not i._meta.auto_created and not isinstance(i, AuditEntry)]
