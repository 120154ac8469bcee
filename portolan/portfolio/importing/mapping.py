"""Import targets, their fields, and mapping files (target field <- column + transforms)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.db import models

from portolan.portfolio.importing.base import DEFAULT_MAPPING, MAPPINGS_DIR, TRANSFORMS, MappingError
from portolan.portfolio.models import RAG, Dependency, Initiative, Milestone


@dataclass(frozen=True)
class Field:
    """A target field. ``nullable``: an empty cell clears it; otherwise it keeps the current value."""

    name: str
    kind: str  # text, choice, date, money, int, bool, initiative, team, user, tags
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    nullable: bool = True


def _health(name: str) -> Field:
    return Field(name, "choice", choices=tuple(RAG.choices))


INITIATIVE_FIELDS = (
    Field("key", "text", required=True),
    Field("title", "text", required=True),
    Field("kind", "choice", choices=tuple(Initiative.Kind.choices), nullable=False),
    Field("parent", "initiative"),
    Field("stage", "choice", choices=tuple(Initiative.Stage.choices), nullable=False),
    Field("owner", "user"),
    Field("team", "team"),
    _health("health_overall"),
    _health("health_schedule"),
    _health("health_cost"),
    _health("health_scope"),
    Field("health_reason", "text"),
    *(Field(f"{p}_{e}", "date") for p in ("planned", "baseline", "actual") for e in ("start", "finish")),
    *(
        Field(n, "money", nullable=False)
        for n in ("budget_capex", "budget_opex", "forecast_cost", "actual_cost")
    ),
    Field("progress", "int", nullable=False),
    Field("tags", "tags"),
    Field("description", "text"),
)
DEPENDENCY_FIELDS = (
    Field("predecessor", "initiative", required=True),
    Field("successor", "initiative", required=True),
    Field("type", "choice", choices=tuple(Dependency.Type.choices), nullable=False),
    Field("lag_days", "int", nullable=False),
    Field("hard", "bool", nullable=False),
    Field("note", "text"),
)
MILESTONE_FIELDS = (
    Field("initiative", "initiative", required=True),
    Field("name", "text", required=True),
    Field("planned_date", "date", required=True),
    Field("baseline_date", "date"),
    Field("actual_date", "date"),
    Field("status", "choice", choices=tuple(Milestone.Status.choices), nullable=False),
    Field("key_milestone", "bool", nullable=False),
)
TARGET_FIELDS: dict[str, tuple[Field, ...]] = {
    "initiatives": INITIATIVE_FIELDS,
    "dependencies": DEPENDENCY_FIELDS,
    "milestones": MILESTONE_FIELDS,
}
TARGET_MODELS: dict[str, type[models.Model]] = {
    "initiatives": Initiative,
    "dependencies": Dependency,
    "milestones": Milestone,
}
TARGETS = tuple(TARGET_FIELDS)


def field_label(target: str, name: str) -> str:
    """The model's verbose name of a target field, capitalised."""
    label = TARGET_MODELS[target]._meta.get_field(name).verbose_name
    return str(label)[:1].upper() + str(label)[1:]


# --- mappings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Where a field's value comes from: one column or the sum of several, then transforms."""

    column: str | None = None
    sum: tuple[str, ...] = ()
    scale: Decimal | None = None
    value_map: dict[str, str] | None = None
    transform: str | None = None
    default: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return self.sum or ((self.column,) if self.column else ())

    @property
    def is_simple(self) -> bool:
        return bool(self.column) and not (self.sum or self.scale or self.value_map or self.transform)

    def describe(self) -> str:
        parts = [f"sum of {', '.join(self.sum)}" if self.sum else (self.column or "no column")]
        if self.scale:
            parts.append(f"× {self.scale}")
        if self.value_map:
            parts.append("mapped " + ", ".join(f"{k}→{v}" for k, v in self.value_map.items()))
        if self.transform:
            parts.append(self.transform.replace("_", " "))
        if self.default is not None:
            parts.append(f"default {self.default}")
        return "; ".join(parts)

    def to_dict(self) -> dict | str:
        if self.is_simple and self.default is None:
            return self.column
        data = {
            "column": self.column,
            "sum": list(self.sum) or None,
            "scale": str(self.scale) if self.scale else None,
            "value_map": self.value_map,
            "transform": self.transform,
            "default": self.default,
        }
        return {k: v for k, v in data.items() if v is not None}


RULE_KEYS = {"column", "sum", "scale", "value_map", "transform", "default"}


def _rule(target: str, name: str, spec: object) -> Rule:
    if isinstance(spec, str):
        return Rule(column=spec)
    if not isinstance(spec, dict):
        raise MappingError(f"{target}.{name}: give a column name or a table of options.")
    unknown = set(spec) - RULE_KEYS
    if unknown:
        raise MappingError(
            f"{target}.{name}: unknown option(s) {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(RULE_KEYS))})."
        )
    if spec.get("transform") not in (None, *TRANSFORMS):
        raise MappingError(f"{target}.{name}: transform must be one of {', '.join(TRANSFORMS)}.")
    try:
        scale = Decimal(str(spec["scale"])) if spec.get("scale") is not None else None
    except InvalidOperation:
        raise MappingError(f"{target}.{name}: scale must be a number.") from None
    value_map = spec.get("value_map")
    rule = Rule(
        column=spec.get("column"),
        sum=tuple(str(c) for c in spec.get("sum") or ()),
        scale=scale,
        value_map={str(k).strip().casefold(): str(v) for k, v in value_map.items()} if value_map else None,
        transform=spec.get("transform"),
        default=None if spec.get("default") is None else str(spec["default"]),
    )
    if not rule.columns and rule.default is None:
        raise MappingError(f"{target}.{name}: give a column, a sum of columns or a default.")
    return rule


@dataclass
class Mapping:
    """Target field -> rule, plus file options and the team policy."""

    name: str
    target: str
    fields: dict[str, Rule]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    date_format: str | None = None
    create_missing_teams: bool = False
    team_code_column: str | None = None
    skip_missing_columns: bool = False

    @classmethod
    def from_dict(cls, data: dict, target: str, name: str = "custom") -> Mapping:
        """Read a mapping document: options at the top, per-target sections (or a flat ``fields``)."""
        if target not in TARGET_FIELDS:
            raise MappingError(f"Unknown import target '{target}' (use one of: {', '.join(TARGETS)}).")
        if not isinstance(data, dict):
            raise MappingError("A mapping is a table of options and fields.")
        section = data.get(target, data if "fields" in data else None)
        if not isinstance(section, dict) or not isinstance(section.get("fields"), dict):
            raise MappingError(f"The mapping '{name}' has no '{target}' section with 'fields'.")
        options = {**{k: v for k, v in data.items() if k not in TARGETS}, **section}
        known = {f.name for f in TARGET_FIELDS[target]}
        unknown = set(section["fields"]) - known
        if unknown:
            raise MappingError(
                f"The mapping names unknown {target} field(s) {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(known))})."
            )
        teams = options.get("teams") or {}
        missing = options.get("missing_columns", "error")
        if missing not in ("error", "skip"):
            raise MappingError("missing_columns must be 'error' or 'skip'.")
        return cls(
            name=str(options.get("name", name)),
            target=target,
            fields={k: _rule(target, k, v) for k, v in section["fields"].items() if v not in (None, "")},
            encoding=options.get("encoding"),
            delimiter=options.get("delimiter"),
            sheet=options.get("sheet"),
            date_format=options.get("date_format"),
            create_missing_teams=bool(teams.get("create_missing", False)),
            team_code_column=teams.get("code_column"),
            skip_missing_columns=missing == "skip",
        )

    @classmethod
    def load(cls, ref: str | Path, target: str) -> Mapping:
        """A mapping from a YAML/JSON file path, or the name of a bundled mapping."""
        path = Path(ref)
        if not path.is_file():
            path = MAPPINGS_DIR / f"{ref}.yaml"
            if not path.is_file():
                raise MappingError(
                    f"No mapping file '{ref}' and no bundled mapping of that name "
                    f"(bundled: {', '.join(bundled_mappings())})."
                )
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise MappingError(f"The mapping file {path.name} cannot be parsed: {exc}") from None
        return cls.from_dict(data or {}, target, name=path.stem)

    def to_dict(self) -> dict:
        """A document :meth:`from_dict` reads back (kept in the session between import steps)."""
        return {
            "name": self.name,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "date_format": self.date_format,
            "missing_columns": "skip" if self.skip_missing_columns else "error",
            "teams": {"create_missing": self.create_missing_teams, "code_column": self.team_code_column},
            self.target: {"fields": {k: r.to_dict() for k, r in self.fields.items()}},
        }

    def without(self, names: Iterable[str]) -> Mapping:
        """A copy without the given fields."""
        names = set(names)
        kept = {k: r for k, r in self.fields.items() if k not in names}
        return dataclasses.replace(self, fields=kept)

    def columns(self) -> list[str]:
        cols = [c for r in self.fields.values() for c in r.columns]
        if self.team_code_column and "team" in self.fields:
            cols.append(self.team_code_column)
        return list(dict.fromkeys(cols))


def bundled_mappings() -> list[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yaml"))


def default_mapping(target: str) -> Mapping:
    return Mapping.load(DEFAULT_MAPPING, target)
