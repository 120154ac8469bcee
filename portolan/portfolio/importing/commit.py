"""Committing a valid preview in one transaction through the services (audit source "import")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from portolan.core import services as core_services
from portolan.core.audit import ChangeContext
from portolan.portfolio import services
from portolan.portfolio.importing.base import ImportFailed, RowError
from portolan.portfolio.importing.files import FileProblem, read_table
from portolan.portfolio.importing.mapping import Mapping
from portolan.portfolio.importing.validation import NewTeam, Preview, RowPlan, validate
from portolan.portfolio.models import Initiative, Milestone, Team

# --- commit --------------------------------------------------------------------------------


def _saving(plan: RowPlan, call: Callable[[], object]) -> object:
    try:
        return call()
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        raise ImportFailed([RowError(plan.row, "", plan.label, m) for m in messages]) from None


def _apply_initiatives(preview: Preview, ctx: ChangeContext) -> None:
    teams = {
        code: core_services.create(ctx, Team, {"code": code, "name": name})
        for code, name in preview.new_teams
    }
    parents_in_file = {p.data.get("parent") for p in preview.plans}
    ordered = sorted(preview.plans, key=lambda p: (p.label not in parents_in_file, p.row))
    saved: dict[str, Initiative] = {}
    for plan in ordered:
        if plan.action == "unchanged":
            continue
        data = dict(plan.data)
        if isinstance(data.get("team"), NewTeam):
            data["team"] = teams[data["team"].code]
        if isinstance(data.get("parent"), str):
            key = data["parent"]
            data["parent"] = saved.get(key) or Initiative.objects.get(key=key)
        if plan.action == "create":
            saved[plan.label] = _saving(plan, lambda d=data: services.create_initiative(ctx, d))
        else:
            saved[plan.label] = _saving(
                plan, lambda d=data, p=plan: services.update_initiative(ctx, p.obj, d)
            )


def _apply_dependencies(preview: Preview, ctx: ChangeContext) -> None:
    for plan in preview.plans:
        if plan.action == "create":
            _saving(plan, lambda d=plan.data: services.add_dependency(ctx, d))
        elif plan.action == "update":
            _saving(plan, lambda p=plan: services.update_dependency(ctx, p.obj, p.data))


def _apply_milestones(preview: Preview, ctx: ChangeContext) -> None:
    for plan in preview.plans:
        if plan.action == "create":
            _saving(plan, lambda d=plan.data: core_services.create(ctx, Milestone, d))
        elif plan.action == "update":
            _saving(plan, lambda p=plan: core_services.update(ctx, p.obj, p.data))


APPLIERS: dict[str, Callable[[Preview, ChangeContext], None]] = {
    "initiatives": _apply_initiatives,
    "dependencies": _apply_dependencies,
    "milestones": _apply_milestones,
}


def run_import(
    path: Path,
    mapping: Mapping,
    ctx: ChangeContext,
    *,
    commit: bool = True,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> Preview:
    """Read, validate and (unless ``commit`` is false or a row fails) save; all or nothing.

    ``ctx.source`` should be ``AuditEntry.Source.IMPORT``. File-level problems come back as
    errors without a row number; the database is never touched when there is any error.
    """
    preview = Preview(mapping.target, mapping.name)
    try:
        table = read_table(
            path,
            encoding=encoding or mapping.encoding,
            delimiter=mapping.delimiter,
            sheet=mapping.sheet,
            max_bytes=max_bytes,
        )
    except FileProblem as exc:
        preview.errors.append(RowError(None, "", "", str(exc)))
        return preview
    try:
        with transaction.atomic():
            preview = validate(table, mapping)
            if commit and preview.ok:
                APPLIERS[mapping.target](preview, ctx)
                preview.committed = True
    except ImportFailed as exc:
        preview.errors = exc.errors
        preview.committed = False
    return preview
