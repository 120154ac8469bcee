"""Errors, limits and formula neutralisation shared by the import modules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

MAPPINGS_DIR = Path(__file__).parent.parent / "mappings"
DEFAULT_MAPPING = "portolan"
MAX_ROWS = 50_000
# Cells starting with these are formulas to a spreadsheet; exports prefix them with "'".
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
TRANSFORMS = ("year_start", "year_end")


class ImportFailed(Exception):
    """Raised when an import cannot be committed; carries the errors."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


class MappingError(ValueError):
    """A mapping file that cannot be used as written."""


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (1 = header; None = the whole file), column, value, message."""

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        if self.value:
            where += f", value '{self.value}'"
        return f"{where}: {self.message}"


class CellError(Exception):
    def __init__(self, column: str, value: object, message: str):
        super().__init__(message)
        self.column, self.value, self.message = column, show_value(value), message


def show_value(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


# --- neutralised formulas ------------------------------------------------------------------


def neutralise(value: str) -> str:
    """Prefix text a spreadsheet would run as a formula with a single quote."""
    return "'" + value if value.lstrip("'")[:1] in FORMULA_TRIGGERS and value else value


def unneutralise(value: str) -> str:
    """Undo :func:`neutralise`: drop one leading quote before a formula character."""
    if value.startswith("'") and value.lstrip("'")[:1] in FORMULA_TRIGGERS and value.lstrip("'"):
        return value[1:]
    return value
