"""Turning one cell (or several, for a sum) into a typed value, or a located error."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from portolan.portfolio.importing.base import CellError, RowError
from portolan.portfolio.importing.files import is_blank
from portolan.portfolio.importing.mapping import TARGET_FIELDS, Field, Mapping, Rule

# --- cell values ---------------------------------------------------------------------------

TRUE = {"yes", "y", "true", "1", "x", "hard", "oui", "ja"}
FALSE = {"no", "n", "false", "0", "soft", "non", "nein"}
MONEY = re.compile(r"^[-+]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
CENT = Decimal("0.01")


def as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _decimal(value: object, column: str) -> Decimal:
    if isinstance(value, bool):
        raise CellError(column, value, "Not an amount.")
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = as_text(value).replace(" ", "").lstrip("$€£")
    if not MONEY.match(text):
        raise CellError(
            column, value, "Not a number: use digits with '.' as the decimal mark, e.g. 1250000.50."
        )
    return Decimal(text.replace(",", ""))


def _date(value: object, column: str, date_format: str | None) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = as_text(value)
    try:
        if date_format:
            return dt.datetime.strptime(text, date_format).date()
        return dt.date.fromisoformat(
            text[:10] if re.match(r"^\d{4}-\d\d-\d\d[ T]00:00(:00)?$", text) else text
        )
    except ValueError:
        expected = date_format or "YYYY-MM-DD, e.g. 2027-03-31"
        raise CellError(column, value, f"Not a valid date: use {expected}.") from None


def _year_date(value: object, column: str, transform: str) -> dt.date:
    text = as_text(value)
    if not re.fullmatch(r"\d{4}", text):
        raise CellError(column, value, "Not a year: use four digits, e.g. 2027.")
    year = int(text)
    return dt.date(year, 1, 1) if transform == "year_start" else dt.date(year, 12, 31)


def _choice(value: object, column: str, choices: tuple[tuple[str, str], ...]) -> str:
    wanted = re.sub(r"[\s_-]+", " ", as_text(value)).casefold()
    for code, label in choices:
        if wanted in (re.sub(r"[\s_-]+", " ", code).casefold(), label.casefold()):
            return code
    allowed = ", ".join(label for _, label in choices)
    raise CellError(column, value, f"Not one of the allowed values: {allowed}.")


def _int(value: object, column: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = as_text(value).rstrip("%").strip()
    if not re.fullmatch(r"[-+]?\d+", text):
        raise CellError(column, value, "Not a whole number.")
    return int(text)


def _bool(value: object, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = as_text(value).casefold()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise CellError(column, value, "Not yes or no.")


def _raw(rule: Rule, cells: dict[str, object]) -> tuple[object, str]:
    """The rule's value before typing (sum, scale, value map, year transform) and its column."""
    column = rule.columns[0] if rule.columns else ""
    if rule.sum:
        parts = [(c, cells.get(c)) for c in rule.sum]
        present = [_decimal(v, c) for c, v in parts if not is_blank(v)]
        value: object = sum(present, Decimal(0)) if present else None
    else:
        value = cells.get(rule.column) if rule.column else None
    if is_blank(value) and rule.default is not None:
        return rule.default, column
    if is_blank(value):
        return None, column
    if rule.scale is not None:
        value = _decimal(value, column) * rule.scale
    if rule.value_map is not None:
        key = as_text(value).casefold()
        if key not in rule.value_map:
            known = ", ".join(rule.value_map)
            raise CellError(column, value, f"Not one of the values the mapping translates ({known}).")
        value = rule.value_map[key]
    if rule.transform:
        value = _year_date(value, column, rule.transform)
    return value, column


def _typed(f: Field, value: object, column: str, mapping: Mapping) -> object:
    if f.kind == "choice":
        return _choice(value, column, f.choices)
    if f.kind == "date":
        return _date(value, column, mapping.date_format)
    if f.kind == "money":
        return _decimal(value, column).quantize(CENT)
    if f.kind == "int":
        return _int(value, column)
    if f.kind == "bool":
        return _bool(value, column)
    if f.kind == "tags":
        return sorted({t.strip() for t in as_text(value).split(",") if t.strip()})
    return as_text(value)


EMPTY = object()  # an empty cell: clears a nullable field, keeps a non-nullable one


def convert_row(number: int, cells: dict, mapping: Mapping, errors: list[RowError]) -> dict[str, object]:
    """Field name -> typed value (or EMPTY) for one row; problems go to ``errors``."""
    values: dict[str, object] = {}
    for f in TARGET_FIELDS[mapping.target]:
        rule = mapping.fields.get(f.name)
        if rule is None:
            continue
        try:
            raw, column = _raw(rule, cells)
            if raw is None:
                if f.required:
                    raise CellError(column, "", "A value is required.")
                values[f.name] = EMPTY
            else:
                values[f.name] = _typed(f, raw, column, mapping)
        except CellError as exc:
            errors.append(RowError(number, exc.column, exc.value, exc.message))
    return values


# --- preview -------------------------------------------------------------------------------
