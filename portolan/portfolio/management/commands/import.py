"""``portolan import initiatives|dependencies|milestones FILE --mapping MAPPING [--dry-run]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.portfolio.importing import (
    DEFAULT_MAPPING,
    TARGETS,
    Mapping,
    MappingError,
    Preview,
    bundled_mappings,
    run_import,
)

MAX_LISTED = 200


class Command(BaseCommand):
    help = (
        "Import initiatives, dependencies or milestones from an XLSX or CSV file through a column "
        "mapping. All or nothing: any invalid row imports nothing and the command exits with 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", choices=TARGETS)
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mapping",
            default=DEFAULT_MAPPING,
            help=f"A YAML/JSON mapping file or a bundled mapping ({', '.join(bundled_mappings())}); "
            f"default: {DEFAULT_MAPPING}.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and show the preview; save nothing."
        )
        parser.add_argument("--encoding", help="The CSV's encoding when it is not UTF-8, e.g. cp1252.")
        parser.add_argument("--max-mb", type=int, help="Size limit in MB (default: PORTOLAN_MAX_UPLOAD_MB).")
        parser.add_argument("--show", type=int, default=20, help="Rows of the preview to list (default 20).")

    def handle(
        self, *args, target, file, mapping, dry_run=False, encoding=None, max_mb=None, show=20, **options
    ):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            loaded = Mapping.load(mapping, target)
        except MappingError as exc:
            raise CommandError(str(exc)) from None
        ctx = ChangeContext(user=None, source=AuditEntry.Source.IMPORT, reason=f"import of {file.name}")
        max_bytes = max_mb * 1024 * 1024 if max_mb else None
        preview = run_import(file, loaded, ctx, commit=not dry_run, encoding=encoding, max_bytes=max_bytes)
        console = Console(file=self.stdout, width=160, highlight=False)
        _summary(console, preview, file, dry_run)
        if preview.errors:
            _errors(console, preview)
            self.stderr.write(f"Nothing was imported: {len(preview.errors)} error(s).")
            raise SystemExit(1)
        _changes(console, preview, show)


def _summary(console: Console, preview: Preview, file: Path, dry_run: bool) -> None:
    counts = preview.counts()
    verb = "Would" if dry_run or not preview.committed else "Did"
    console.print(f"{file.name} -> {preview.target} (mapping {preview.mapping}): {counts['rows']} data rows")
    if preview.ok:
        console.print(
            f"{verb} create {counts['create']}, update {counts['update']}, "
            f"leave {counts['unchanged']} unchanged"
            + (f"; new teams: {counts['new_teams']}" if counts["new_teams"] else "")
            + ("  (dry run: nothing saved)" if dry_run else "")
        )
    if preview.skipped_fields:
        console.print("Left as they are (no column in the file): " + ", ".join(preview.skipped_fields))


def _errors(console: Console, preview: Preview) -> None:
    table = Table(
        "Row", "Column", "Value", "Message", title=f"{len(preview.errors)} error(s)", show_lines=False
    )
    for error in preview.errors[:MAX_LISTED]:
        table.add_row("—" if error.row is None else str(error.row), error.column, error.value, error.message)
    console.print(table)
    if len(preview.errors) > MAX_LISTED:
        console.print(f"… and {len(preview.errors) - MAX_LISTED} more.")


def _changes(console: Console, preview: Preview, show: int) -> None:
    listed = [p for p in preview.plans if p.action != "unchanged"][:show]
    if not listed:
        return
    table = Table("Row", "Action", "Key", "Changes")
    for plan in listed:
        changes = "; ".join(
            f"{f}: {a} → {b}" if plan.action == "update" else f"{f}={b}" for f, a, b in plan.changes
        )
        table.add_row(str(plan.row), plan.action, plan.label, changes[:200])
    console.print(table)
