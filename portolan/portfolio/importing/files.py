"""Reading CSV (UTF-8 unless told, separator sniffed) and XLSX (read-only, defusedxml) files."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from django.conf import settings
from openpyxl.utils.exceptions import InvalidFileException

from portolan.portfolio.importing.base import MAX_ROWS, XLSX_SUFFIXES, unneutralise

# --- reading files -------------------------------------------------------------------------


@dataclass
class Table:
    """A file's header and data rows; row numbers as a spreadsheet shows them (header = 1)."""

    columns: list[str]
    rows: list[tuple[int, dict[str, object]]]


class FileProblem(Exception):
    """The file as a whole cannot be read (size, encoding, format, emptiness)."""


def max_bytes_default() -> int:
    return settings.MAX_UPLOAD_BYTES


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    max_bytes: int | None = None,
    max_rows: int = MAX_ROWS,
) -> Table:
    """Read a CSV or XLSX file, or raise :class:`FileProblem` with a message for a manager."""
    path = Path(path)
    limit = max_bytes_default() if max_bytes is None else max_bytes
    size = path.stat().st_size
    if size > limit:
        raise FileProblem(
            f"The file is {_mb(size)}; the import limit is {_mb(limit)} "
            "(PORTOLAN_MAX_UPLOAD_MB). Split the file or ask an administrator to raise the limit."
        )
    if size == 0:
        raise FileProblem("The file is empty: it has no header row and no data.")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if path.suffix.lower() in XLSX_SUFFIXES or magic == b"PK\x03\x04":
        book = _open_xlsx(path)
        try:
            return _table(*_xlsx_rows(book, sheet), max_rows)
        finally:
            book.close()
    return _table(*_read_csv(path.read_bytes(), encoding, delimiter), max_rows)


def _decode(data: bytes, encoding: str | None) -> str:
    name = encoding or "utf-8-sig"
    if name.replace("_", "-").lower() in ("utf-8", "utf8"):
        name = "utf-8-sig"  # Excel's "CSV UTF-8" starts with a byte-order mark
    try:
        return data.decode(name).lstrip("\ufeff")
    except LookupError:
        raise FileProblem(f"Unknown encoding '{encoding}' (try utf-8, cp1252 or latin-1).") from None
    except UnicodeDecodeError as exc:
        byte, line = data[exc.start], data.count(b"\n", 0, exc.start) + 1
        label = "UTF-8" if encoding is None else encoding
        raise FileProblem(
            f"The file is not {label}: byte 0x{byte:02X} at offset {exc.start} (line {line}) cannot be "
            "decoded. Save it as 'CSV UTF-8' from Excel, or give its encoding "
            "(--encoding cp1252 on the command line, the Encoding field on the import page)."
        ) from None


def _sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv(data: bytes, encoding: str | None, delimiter: str | None) -> tuple[list, Iterable]:
    text = _decode(data, encoding)
    if not text.strip():
        raise FileProblem("The file is empty: it has no header row and no data.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _sniff_delimiter(text))

    def rows():
        try:
            yield from reader
        except csv.Error as exc:
            raise FileProblem(f"Row {reader.line_num}: the CSV cannot be read ({exc}).") from None

    iterator = rows()
    header = next(iterator, None)
    return header or [], iterator


def _open_xlsx(path: Path):
    """The workbook, read-only with cached formula values (openpyxl parses with defusedxml)."""
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileProblem(f"The file is not a readable XLSX workbook ({exc}).") from None


def _xlsx_rows(book, sheet: str | None) -> tuple[list, Iterable]:
    if sheet is not None and sheet not in book.sheetnames:
        raise FileProblem(f"The workbook has no sheet '{sheet}' (sheets: {', '.join(book.sheetnames)}).")
    rows = (book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True)
    header = next(rows, None)
    return list(header or []), rows


def _clean_cell(value: object) -> object:
    if isinstance(value, str):
        return unneutralise(value.strip())
    return value


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(header: list, rows: Iterable, max_rows: int) -> Table:
    columns = [str(_clean_cell(c) or "").strip() for c in header]
    if not any(columns):
        raise FileProblem("The file is empty: it has no header row and no data.")
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise FileProblem(f"The header names the column '{name}' twice; rename one of them.")
        seen.add(name)
    table = Table([c for c in columns if c], [])
    for number, cells in enumerate(rows, start=2):
        if all(is_blank(c) for c in cells):
            continue
        if len(table.rows) >= max_rows:
            raise FileProblem(
                f"The file has more than {max_rows:,} data rows; import at most {max_rows:,} rows at a time "
                "(split the file)."
            )
        values = {name: _clean_cell(cell) for name, cell in zip(columns, cells, strict=False) if name}
        table.rows.append((number, values))
    if not table.rows:
        raise FileProblem("The file has a header row but no data rows: there is nothing to import.")
    return table


# --- targets and their fields --------------------------------------------------------------
