"""Export initiatives, dependencies and milestones to XLSX or CSV in the default mapping's columns.

What is exported imports back unchanged through the default mapping (``mappings/portolan.yaml``).
Text that a spreadsheet would run as a formula (starting with = + - @, tab or CR) is prefixed
with a single quote; the importer drops that quote again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

import openpyxl
from django.db.models import QuerySet
from openpyxl.styles import Font

from portolan.portfolio.importing import TARGET_FIELDS, default_mapping, neutralise
from portolan.portfolio.models import Dependency, Initiative, Milestone

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Value = str | int | Decimal | dt.date | None


def _label(obj, name: str) -> str:
    return getattr(obj, f"get_{name}_display")()


def _initiative_value(obj: Initiative, name: str) -> Value:
    if name == "parent":
        return obj.parent.key if obj.parent_id else None
    if name == "owner":
        return obj.owner.get_username() if obj.owner_id else None
    if name == "team":
        return obj.team.code if obj.team_id else None
    if name == "tags":
        return ", ".join(sorted(t.name for t in obj.tags.all())) or None
    if name in ("kind", "stage") or name.startswith("health_") and name != "health_reason":
        return _label(obj, name) if getattr(obj, name) else None
    return getattr(obj, name)


def _dependency_value(obj: Dependency, name: str) -> Value:
    if name in ("predecessor", "successor"):
        return getattr(obj, name).key
    if name == "type":
        return obj.type
    if name == "hard":
        return "yes" if obj.hard else "no"
    return getattr(obj, name)


def _milestone_value(obj: Milestone, name: str) -> Value:
    if name == "initiative":
        return obj.initiative.key
    if name == "status":
        return obj.get_status_display()
    if name == "key_milestone":
        return "yes" if obj.key_milestone else "no"
    return getattr(obj, name)


GETTERS: dict[str, Callable[[object, str], Value]] = {
    "initiatives": _initiative_value,
    "dependencies": _dependency_value,
    "milestones": _milestone_value,
}


def prepare(target: str, queryset: QuerySet) -> QuerySet:
    """The queryset with what the export reads, in key order (no N+1)."""
    if target == "initiatives":
        queryset = queryset.select_related("parent", "owner", "team").order_by("key")
        seen = {getattr(p, "prefetch_to", p) for p in queryset._prefetch_related_lookups}
        return queryset if "tags" in seen else queryset.prefetch_related("tags")
    if target == "dependencies":
        return queryset.select_related("predecessor", "successor").order_by(
            "predecessor__key", "successor__key"
        )
    return queryset.select_related("initiative").order_by("initiative__key", "planned_date", "name")


def table(target: str, objects: Iterable) -> tuple[list[str], Iterator[list[Value]]]:
    """The header (the default mapping's columns) and one row of typed values per object."""
    mapping = default_mapping(target)
    names = [f.name for f in TARGET_FIELDS[target] if f.name in mapping.fields]
    header = [mapping.fields[n].column for n in names]
    getter = GETTERS[target]
    return header, ([getter(obj, n) for n in names] for obj in objects)


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def write_csv(header: list[str], rows: Iterable[list[Value]], out: io.TextIOBase) -> int:
    """UTF-8 CSV (the caller opens ``out`` with ``newline=''``); returns the row count."""
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        count += 1
    return count


def _xlsx_cell(value: Value) -> Value:
    return neutralise(value) if isinstance(value, str) else value


def write_xlsx(header: list[str], rows: Iterable[list[Value]], out, sheet_title: str = "Export") -> int:
    """One worksheet: bold frozen header, typed cells (dates, numbers), text neutralised."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    head = []
    for name in header:
        cell = openpyxl.cell.WriteOnlyCell(sheet, value=name)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            cell = openpyxl.cell.WriteOnlyCell(sheet, value=_xlsx_cell(value))
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(out)
    return count


def export(target: str, queryset: QuerySet, fmt: str, out) -> int:
    """Write ``queryset`` as ``fmt`` (csv: a text stream; xlsx: a binary stream or path)."""
    header, rows = table(target, prepare(target, queryset).iterator(chunk_size=500))
    if fmt == "csv":
        return write_csv(header, rows, out)
    if fmt == "xlsx":
        return write_xlsx(header, rows, out, sheet_title=target.capitalize())
    raise ValueError(f"Unknown export format '{fmt}' (use csv or xlsx).")
