"""Validating every row against the mapping and the database: the preview."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import slugify

from portolan.engine.graph import cycle_if_added
from portolan.portfolio import services
from portolan.portfolio.importing.base import CellError, RowError, show_value
from portolan.portfolio.importing.cells import CENT, EMPTY, as_text, convert_row
from portolan.portfolio.importing.files import Table
from portolan.portfolio.importing.mapping import (
    DEPENDENCY_FIELDS,
    INITIATIVE_FIELDS,
    MILESTONE_FIELDS,
    TARGET_FIELDS,
    Field,
    Mapping,
)
from portolan.portfolio.models import Dependency, Initiative, Milestone, Team, key_validator


@dataclass
class RowPlan:
    """What one row will do: create, update (with changes) or nothing."""

    row: int
    label: str
    action: str  # create | update | unchanged
    data: dict[str, object]
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    obj: models.Model | None = None


@dataclass
class Preview:
    target: str
    mapping: str
    plans: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    skipped_fields: list[str] = field(default_factory=list)
    new_teams: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def _of(self, action: str) -> list[RowPlan]:
        return [p for p in self.plans if p.action == action]

    @property
    def creates(self) -> list[RowPlan]:
        return self._of("create")

    @property
    def updates(self) -> list[RowPlan]:
        return self._of("update")

    @property
    def unchanged(self) -> list[RowPlan]:
        return self._of("unchanged")

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.total,
            "create": len(self.creates),
            "update": len(self.updates),
            "unchanged": len(self.unchanged),
            "errors": len(self.errors),
            "new_teams": len(self.new_teams),
        }


def _check_columns(table: Table, mapping: Mapping, preview: Preview) -> Mapping | None:
    """The mapping to apply (optional fields without their column dropped if allowed), or None."""
    required = {f.name for f in TARGET_FIELDS[mapping.target] if f.required}
    for name in sorted(required - set(mapping.fields)):
        preview.errors.append(
            RowError(1, "", "", f"The mapping gives no column for the required field '{name}'.")
        )
    found = ", ".join(table.columns[:12]) + (", …" if len(table.columns) > 12 else "")
    absent = {n for n, r in mapping.fields.items() if any(c not in table.columns for c in r.columns)}
    if mapping.skip_missing_columns:
        preview.skipped_fields = sorted(absent - required)
        mapping = mapping.without(preview.skipped_fields)
    for column in mapping.columns():
        if column not in table.columns:
            preview.errors.append(
                RowError(
                    1,
                    column,
                    "",
                    f"Required column '{column}' is missing from the file (columns found: {found}).",
                )
            )
    preview.ignored_columns = [c for c in table.columns if c not in mapping.columns()]
    return None if preview.errors else mapping


def _model_errors(
    model: type[models.Model], base: models.Model | None, data: dict, exclude: list[str]
) -> dict:
    """Field validators and ``clean()`` of an unsaved copy with ``data`` applied: field -> messages."""
    values = {f.attname: getattr(base, f.attname) for f in model._meta.concrete_fields} if base else {}
    obj = model(**values)
    for name, value in data.items():
        if name not in exclude:
            setattr(obj, name, value)
        elif name in values or f"{name}_id" in values:
            setattr(obj, f"{name}_id", None)  # references are checked by the importer itself
    found: dict[str, list[str]] = {}
    for check in (lambda: obj.clean_fields(exclude=exclude), obj.clean):
        try:
            check()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                found.setdefault(name, []).extend(messages)
    return found


def _report_model_errors(
    number: int, found: dict, mapping: Mapping, cells: dict, errors: list[RowError]
) -> None:
    for name, messages in found.items():
        rule = mapping.fields.get(name)
        column = rule.columns[0] if rule and rule.columns else ("" if name == "__all__" else name)
        value = cells.get(column, "")
        for message in messages:
            errors.append(RowError(number, column, show_value(value), message))


def _column(mapping: Mapping, name: str) -> str:
    rule = mapping.fields.get(name)
    return rule.columns[0] if rule and rule.columns else name


def _display(value: object) -> str:
    if value is None or value is EMPTY or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, models.Model | NewTeam):
        return str(value)
    return show_value(value)


def _diff(current: dict[str, object], data: dict[str, object]) -> tuple[dict, list[tuple[str, str, str]]]:
    """The fields of ``data`` that differ from ``current``, and (field, before, after) rows."""
    changed, rows = {}, []
    for name, new in data.items():
        old = current.get(name)
        same = _comparable(old) == _comparable(new)
        if not same:
            changed[name] = new
            rows.append((name, _display(old), _display(new)))
    return changed, rows


def _comparable(value: object) -> object:
    if value is EMPTY or value == "" or value == []:
        return None
    if isinstance(value, models.Model):
        return (type(value).__name__, value.pk)
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    return value


# --- references ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTeam:
    """A team the import will create (``teams: create_missing: true``)."""

    code: str
    name: str

    def __str__(self) -> str:
        return f"{self.name} (new team {self.code})"


class _Teams:
    """Team lookup by code or name (case-insensitive), creating placeholders when allowed."""

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.known: dict[str, Team | NewTeam] = {}
        self.codes: set[str] = set()
        for team in Team.objects.all():
            self.known[team.name.casefold()] = team
            self.known[team.code.casefold()] = team
            self.codes.add(team.code.casefold())
        self.new: dict[str, NewTeam] = {}

    def resolve(self, value: str, cells: dict, column: str) -> Team | NewTeam:
        found = self.known.get(value.casefold())
        if found is not None:
            return found
        if not self.mapping.create_missing_teams:
            raise CellError(
                column,
                value,
                f"Unknown team '{value}': no team has this code or name. Create the team first "
                "(or set 'teams: create_missing: true' in the mapping).",
            )
        code = self._code(value, cells, column)
        team = NewTeam(code, value)
        self.known[value.casefold()] = self.known[code.casefold()] = team
        self.codes.add(code.casefold())
        self.new[code] = team
        return team

    def _code(self, name: str, cells: dict, column: str) -> str:
        code_column = self.mapping.team_code_column
        if code_column:
            code = as_text(cells.get(code_column) or "")
            try:
                key_validator(code)
            except ValidationError:
                raise CellError(
                    code_column, code, "Not a valid team code (letters, digits, '.', '_' or '-')."
                ) from None
            if code.casefold() in self.codes:
                raise CellError(
                    code_column, code, f"Team code '{code}' is already used by another team than '{name}'."
                )
            return code
        base = slugify(name).upper()[:36] or "TEAM"
        code, n = base, 2
        while code.casefold() in self.codes:
            code, n = f"{base}-{n}", n + 1
        return code


def _initiative_kinds(keys: Iterable[str]) -> dict[str, str]:
    return dict(Initiative.objects.filter(key__in=set(keys)).values_list("key", "kind"))


# --- validation per target -----------------------------------------------------------------


def _duplicates(number: int, identity: tuple, column: str, value: str, seen: dict, errors: list) -> bool:
    if identity in seen:
        errors.append(
            RowError(number, column, value, f"Duplicate: the same key is already on row {seen[identity]}.")
        )
        return True
    seen[identity] = number
    return False


def _initiative_current(obj: Initiative) -> dict[str, object]:
    current = {
        f.name: getattr(obj, f.name)
        for f in INITIATIVE_FIELDS
        if f.kind not in ("initiative", "team", "user", "tags")
    }
    current.update(
        parent=obj.parent.key if obj.parent_id else None,
        owner=obj.owner,
        team=obj.team,
        tags=sorted(t.name for t in obj.tags.all()),
    )
    return current


def _validate_initiatives(rows: list[tuple[int, dict, dict]], mapping: Mapping, preview: Preview) -> None:
    errors = preview.errors
    keys = [v["key"] for _, _, v in rows if isinstance(v.get("key"), str)]
    existing = {
        i.key: i
        for i in Initiative.objects.filter(key__in=keys)
        .select_related("parent", "owner", "team")
        .prefetch_related("tags")
    }
    file_kinds = {v["key"]: v.get("kind") for _, _, v in rows if isinstance(v.get("key"), str)}
    parent_keys = {v["parent"] for _, _, v in rows if isinstance(v.get("parent"), str)}
    db_kinds = _initiative_kinds(parent_keys)
    usernames = {v["owner"] for _, _, v in rows if isinstance(v.get("owner"), str)}
    users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    teams, seen = _Teams(mapping), {}
    for number, cells, values in rows:
        key = values.get("key")
        if not isinstance(key, str) or _duplicates(
            number, (key,), _column(mapping, "key"), key, seen, errors
        ):
            continue
        obj = existing.get(key)
        data, before = dict(values), len(errors)
        for name in list(data):
            if data[name] is EMPTY:
                f = next(f for f in INITIATIVE_FIELDS if f.name == name)
                if f.nullable:
                    data[name] = (
                        []
                        if f.kind == "tags"
                        else (None if f.kind in ("date", "team", "user", "initiative") else "")
                    )
                else:
                    del data[name]
        try:
            _resolve_initiative_refs(data, cells, mapping, teams, users, file_kinds, db_kinds, obj)
        except CellError as exc:
            errors.append(RowError(number, exc.column, exc.value, exc.message))
        exclude = ["parent", "owner", "team", "tags", "services", "objectives"]
        _report_model_errors(number, _model_errors(Initiative, obj, data, exclude), mapping, cells, errors)
        if obj is not None and "stage" in data:
            message = services.transition_error(obj.stage, data["stage"])
            if message:
                errors.append(
                    RowError(
                        number,
                        _column(mapping, "stage"),
                        show_value(cells.get(_column(mapping, "stage"))),
                        message,
                    )
                )
        if len(errors) == before:
            _plan(preview, number, key, data, obj, _initiative_current(obj) if obj else None)
    preview.new_teams = [(t.code, t.name) for t in teams.new.values()]


def _resolve_initiative_refs(data, cells, mapping, teams, users, file_kinds, db_kinds, obj) -> None:
    """Teams, owners and parents named by a row, checked against the database and the file."""
    if isinstance(data.get("team"), str):
        data["team"] = teams.resolve(data["team"], cells, _column(mapping, "team"))
    if isinstance(data.get("owner"), str):
        user = users.get(data["owner"])
        if user is None:
            raise CellError(
                _column(mapping, "owner"),
                data["owner"],
                f"Unknown user '{data['owner']}': no account has this user name.",
            )
        data["owner"] = user
    parent = data.get("parent")
    if isinstance(parent, str):
        column = _column(mapping, "parent")
        kind = data.get("kind") or (obj.kind if obj else Initiative.Kind.PROJECT)
        parent_kind = file_kinds.get(parent) or db_kinds.get(parent)
        if parent == data["key"]:
            raise CellError(column, parent, "An initiative cannot be its own parent.")
        if parent_kind is None:
            raise CellError(
                column,
                parent,
                f"Unknown parent '{parent}': no initiative has this key, in the database or the file.",
            )
        if parent_kind != Initiative.Kind.PROGRAM:
            raise CellError(column, parent, f"The parent '{parent}' is not a program.")
        if kind == Initiative.Kind.PROGRAM:
            raise CellError(column, parent, "A program is at the top of the tree and has no parent.")


def _plan(preview: Preview, number: int, label: str, data: dict, obj, current: dict | None) -> None:
    if obj is None:
        changes = [(k, "—", _display(v)) for k, v in data.items()]
        preview.plans.append(RowPlan(number, label, "create", data, changes))
        return
    changed, rows = _diff(current, data)
    action = "update" if changed else "unchanged"
    preview.plans.append(RowPlan(number, label, action, changed, rows, obj))


def _empty_to_model(data: dict, fields: tuple[Field, ...]) -> None:
    for f in fields:
        if data.get(f.name) is EMPTY:
            if f.nullable:
                data[f.name] = None if f.kind in ("date",) else ""
            else:
                del data[f.name]


def _validate_dependencies(rows: list[tuple[int, dict, dict]], mapping: Mapping, preview: Preview) -> None:
    errors = preview.errors
    names = {v[n] for _, _, v in rows for n in ("predecessor", "successor") if isinstance(v.get(n), str)}
    initiatives = {i.key: i for i in Initiative.objects.filter(key__in=names)}
    all_edges = list(Dependency.objects.values_list("predecessor__key", "successor__key"))
    existing = {
        (d.predecessor.key, d.successor.key): d
        for d in Dependency.objects.filter(
            predecessor__key__in=names, successor__key__in=names
        ).select_related("predecessor", "successor")
    }
    edges, seen = list(all_edges), {}
    for number, cells, values in rows:
        pred, succ = values.get("predecessor"), values.get("successor")
        if not (isinstance(pred, str) and isinstance(succ, str)):
            continue
        label = f"{pred} → {succ}"
        if _duplicates(number, (pred, succ), _column(mapping, "predecessor"), label, seen, errors):
            continue
        before = len(errors)
        for name, key in (("predecessor", pred), ("successor", succ)):
            if key not in initiatives:
                errors.append(
                    RowError(
                        number,
                        _column(mapping, name),
                        key,
                        f"Unknown initiative '{key}': no initiative has this key.",
                    )
                )
        if pred == succ:
            errors.append(
                RowError(
                    number, _column(mapping, "successor"), succ, "An initiative cannot depend on itself."
                )
            )
        if len(errors) > before:
            continue
        data = dict(values)
        _empty_to_model(data, DEPENDENCY_FIELDS)
        data["predecessor"], data["successor"] = initiatives[pred], initiatives[succ]
        obj = existing.get((pred, succ))
        if obj is None:
            cycle = cycle_if_added(edges, (pred, succ))
            if cycle:
                errors.append(
                    RowError(
                        number,
                        _column(mapping, "predecessor"),
                        label,
                        f"This dependency would close a cycle: {' → '.join(cycle)}.",
                    )
                )
                continue
            edges.append((pred, succ))
        exclude = ["predecessor", "successor"]
        _report_model_errors(number, _model_errors(Dependency, obj, data, exclude), mapping, cells, errors)
        if len(errors) == before:
            current = {f.name: getattr(obj, f.name) for f in DEPENDENCY_FIELDS} if obj else None
            _plan(preview, number, label, data, obj, current)


def _validate_milestones(rows: list[tuple[int, dict, dict]], mapping: Mapping, preview: Preview) -> None:
    errors = preview.errors
    keys = {v["initiative"] for _, _, v in rows if isinstance(v.get("initiative"), str)}
    initiatives = {i.key: i for i in Initiative.objects.filter(key__in=keys)}
    existing = {
        (m.initiative.key, m.name): m
        for m in Milestone.objects.filter(initiative__key__in=keys).select_related("initiative")
    }
    seen: dict = {}
    for number, cells, values in rows:
        key, name = values.get("initiative"), values.get("name")
        if not (isinstance(key, str) and isinstance(name, str)):
            continue
        label = f"{key}: {name}"
        if _duplicates(number, (key, name), _column(mapping, "name"), label, seen, errors):
            continue
        if key not in initiatives:
            errors.append(
                RowError(
                    number,
                    _column(mapping, "initiative"),
                    key,
                    f"Unknown initiative '{key}': no initiative has this key.",
                )
            )
            continue
        data = dict(values)
        _empty_to_model(data, MILESTONE_FIELDS)
        data["initiative"] = initiatives[key]
        obj, before = existing.get((key, name)), len(errors)
        _report_model_errors(
            number, _model_errors(Milestone, obj, data, ["initiative"]), mapping, cells, errors
        )
        if len(errors) == before:
            current = {f.name: getattr(obj, f.name) for f in MILESTONE_FIELDS} if obj else None
            _plan(preview, number, label, data, obj, current)


VALIDATORS: dict[str, Callable] = {
    "initiatives": _validate_initiatives,
    "dependencies": _validate_dependencies,
    "milestones": _validate_milestones,
}


def validate(table: Table, mapping: Mapping) -> Preview:
    """Check every row of ``table`` against ``mapping`` and the database; write nothing."""
    preview = Preview(mapping.target, mapping.name, total=len(table.rows))
    mapping = _check_columns(table, mapping, preview)
    if mapping is None:
        return preview
    rows = []
    for number, cells in table.rows:
        rows.append((number, cells, convert_row(number, cells, mapping, preview.errors)))
    VALIDATORS[mapping.target](rows, mapping, preview)
    preview.errors.sort(key=lambda e: (e.row or 0, e.column))
    return preview
