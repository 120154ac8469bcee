"""Portfolio use cases: the only place that writes portfolio objects.

Pages, the API, imports and the CLI all call these functions; each one checks the
actor's permission and writes its audit rows in the same transaction.
"""

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from portolan.core import services
from portolan.core.audit import ChangeContext
from portolan.core.roles import CHANGE
from portolan.engine.graph import cycle_if_added
from portolan.portfolio.models import Dependency, Initiative, RaciAssignment, StatusUpdate, Tag

Stage = Initiative.Stage
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.IDEA: (Stage.ASSESSMENT, Stage.ON_HOLD, Stage.CANCELLED),
    Stage.ASSESSMENT: (Stage.APPROVED, Stage.IDEA, Stage.ON_HOLD, Stage.CANCELLED),
    Stage.APPROVED: (Stage.IN_PROGRESS, Stage.ASSESSMENT, Stage.ON_HOLD, Stage.CANCELLED),
    Stage.IN_PROGRESS: (Stage.DONE, Stage.ON_HOLD, Stage.CANCELLED),
    Stage.ON_HOLD: (Stage.ASSESSMENT, Stage.APPROVED, Stage.IN_PROGRESS, Stage.CANCELLED),
    Stage.DONE: (),
    Stage.CANCELLED: (),
}


def allowed_stages(initiative: Initiative) -> tuple[str, ...]:
    return TRANSITIONS[initiative.stage]


def _stage_label(value: str) -> str:
    return Stage(value).label


def transition_error(current: str, new: str) -> str | None:
    """Why ``current -> new`` is not allowed, or None when it is."""
    if new not in Stage.values:
        return f"'{new}' is not a stage (use one of: {', '.join(Stage.values)})."
    if new == current or new in TRANSITIONS[current]:
        return None
    allowed = ", ".join(_stage_label(s) for s in TRANSITIONS[current]) or "none: it is closed"
    return (
        f"An initiative cannot go from {_stage_label(current)} to {_stage_label(new)} (allowed: {allowed})."
    )


@transaction.atomic
def create_initiative(ctx: ChangeContext, data: Mapping) -> Initiative:
    data = dict(data)
    if "tags" in data:
        data["tags"] = tag_objects(data["tags"])
    initiative = services.create(ctx, Initiative, data)
    # Exactly one Accountable from the start: the owner, else the owning team.
    party = {"user": initiative.owner} if initiative.owner_id else {"team": initiative.team}
    if initiative.owner_id or initiative.team_id:
        services.create(
            ctx, RaciAssignment, {"initiative": initiative, "role": RaciAssignment.Role.ACCOUNTABLE, **party}
        )
    return initiative


@transaction.atomic
def update_initiative(ctx: ChangeContext, initiative: Initiative, data: Mapping) -> Initiative:
    data = dict(data)
    if "stage" in data and data["stage"] != initiative.stage:
        error = transition_error(initiative.stage, data["stage"])
        if error:
            raise ValidationError({"stage": error})
        _apply_stage_side_effects(initiative, data["stage"], data)
    if "tags" in data:
        data["tags"] = tag_objects(data["tags"])
    return services.update(ctx, initiative, data)


def _apply_stage_side_effects(initiative: Initiative, stage: str, data: dict) -> None:
    today = timezone.localdate()
    if stage == Stage.IN_PROGRESS and not initiative.actual_start and "actual_start" not in data:
        data["actual_start"] = today
    if stage == Stage.DONE:
        data.setdefault("progress", 100)
        if not initiative.actual_finish and "actual_finish" not in data:
            data["actual_finish"] = today


def change_stage(ctx: ChangeContext, initiative: Initiative, stage: str, reason: str = "") -> Initiative:
    """Move an initiative along its workflow; only allowed transitions pass."""
    if reason:
        ctx = ctx.with_reason(reason)
    return update_initiative(ctx, initiative, {"stage": stage})


def tag_objects(names: Iterable[str | Tag]) -> list[Tag]:
    """Tags by name (created on first use); Tag objects pass through."""
    cleaned = sorted({(n.name if isinstance(n, Tag) else n).strip() for n in names if n})
    cleaned = [n for n in cleaned if n]
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    missing = [Tag(name=n) for n in cleaned if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    return [existing[n] for n in cleaned]


def dependency_cycle(
    predecessor: Initiative, successor: Initiative, exclude_pk: int | None = None
) -> str | None:
    """The message naming the cycle a new dependency would close, or None."""
    edges = Dependency.objects.exclude(pk=exclude_pk).values_list("predecessor_id", "successor_id")
    cycle = cycle_if_added(list(edges), (predecessor.pk, successor.pk))
    if cycle is None:
        return None
    keys = dict(Initiative.objects.filter(pk__in=set(cycle)).values_list("pk", "key"))
    names = " → ".join(keys[pk] for pk in cycle)
    return f"This dependency would close a cycle: {names}."


@transaction.atomic
def add_dependency(ctx: ChangeContext, data: Mapping) -> Dependency:
    pred, succ = data["predecessor"], data["successor"]
    message = dependency_cycle(pred, succ)
    if message:
        raise ValidationError({"predecessor": message})
    return services.create(ctx, Dependency, data)


@transaction.atomic
def update_dependency(ctx: ChangeContext, dependency: Dependency, data: Mapping) -> Dependency:
    pred = data.get("predecessor", dependency.predecessor)
    succ = data.get("successor", dependency.successor)
    message = dependency_cycle(pred, succ, exclude_pk=dependency.pk)
    if message:
        raise ValidationError({"predecessor": message})
    return services.update(ctx, dependency, data)


@transaction.atomic
def add_status_update(ctx: ChangeContext, initiative: Initiative, data: Mapping) -> StatusUpdate:
    """Append a status update; the newest one (by date) sets the initiative's current health."""
    data = {"initiative": initiative, "author": ctx.user, "date": timezone.localdate(), **data}
    latest = initiative.status_updates.order_by("-date").values_list("date", flat=True).first()
    update = services.create(ctx, StatusUpdate, data)
    if latest is not None and update.date < latest:
        return update  # a backdated update completes the history; it does not change today's health
    health = {"health_overall": update.overall, "health_reason": update.narrative[:2000]}
    for part in ("schedule", "cost", "scope"):
        if getattr(update, part):
            health[f"health_{part}"] = getattr(update, part)
    services.update(ctx, initiative, health)
    return update


@transaction.atomic
def set_raci(ctx: ChangeContext, data: Mapping) -> RaciAssignment:
    """Add a RACI assignment; a new Accountable replaces the previous one (exactly one)."""
    initiative = data["initiative"]
    if data.get("role") == RaciAssignment.Role.ACCOUNTABLE:
        for old in initiative.raci.filter(role=RaciAssignment.Role.ACCOUNTABLE):
            services.delete(ctx, old)
    return services.create(ctx, RaciAssignment, data)


@transaction.atomic
def remove_raci(ctx: ChangeContext, assignment: RaciAssignment) -> None:
    if assignment.role == RaciAssignment.Role.ACCOUNTABLE:
        raise ValidationError(
            "Every initiative has exactly one Accountable: "
            "assign another Accountable instead of removing this one."
        )
    services.delete(ctx, assignment)


@transaction.atomic
def bulk_update(ctx: ChangeContext, initiatives: Iterable[Initiative], changes: Mapping) -> list[str]:
    """Apply stage/owner/tags to many initiatives; all or nothing. Returns the keys changed."""
    errors, done = [], []
    for initiative in initiatives:
        data = dict(changes)
        if "add_tags" in data:
            names = {t.name for t in initiative.tags.all()} | set(data.pop("add_tags"))
            data["tags"] = tag_objects(names)
        try:
            update_initiative(ctx, initiative, data)
            done.append(initiative.key)
        except ValidationError as exc:
            errors.append(f"{initiative.key}: {'; '.join(exc.messages)}")
    if errors:
        raise ValidationError(errors)
    return done


def can_change(user, initiative: Initiative) -> bool:
    return initiative.user_can(user, CHANGE)


def capture_baseline(ctx: ChangeContext, initiative: Initiative) -> Initiative:
    """Copy the planned dates into the baseline (slippage is measured against it)."""
    return update_initiative(
        ctx,
        initiative,
        {"baseline_start": initiative.planned_start, "baseline_finish": initiative.planned_finish},
    )


@transaction.atomic
def update_raci(ctx: ChangeContext, assignment: RaciAssignment, data: Mapping) -> RaciAssignment:
    accountable = RaciAssignment.Role.ACCOUNTABLE
    if assignment.role == accountable and data.get("role", accountable) != accountable:
        raise ValidationError(
            {"role": "Every initiative has exactly one Accountable: make someone else Accountable first."}
        )
    if data.get("role") == accountable and assignment.role != accountable:
        for old in assignment.initiative.raci.filter(role=accountable):
            services.delete(ctx, old)
    return services.update(ctx, assignment, data)
