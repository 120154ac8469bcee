import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.kpis import services


class Command(BaseCommand):
    help = (
        "KPI catalogue: load-library (the standard KPIs), compute (portfolio KPIs), import FILE (CSV/XLSX)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "load-library", help="Add the standard infrastructure KPIs missing from the catalogue."
        )
        compute = sub.add_parser("compute", help="Compute the portfolio KPIs (on track, EVM, milestones).")
        compute.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        compute.add_argument("--months", type=int, default=1)
        imp = sub.add_parser("import", help="Import measurements from a CSV or XLSX file (all or nothing).")
        imp.add_argument("file")

    def handle(self, *args, action, **options):
        ctx = ChangeContext(user=None, source=AuditEntry.Source.CLI, reason=f"portolan kpis {action}")
        if action == "load-library":
            counts = services.load_library(ctx)
            self.stdout.write(
                f"KPI library: {counts['created']} added, {counts['kept']} already in the catalogue."
            )
        elif action == "compute":
            as_of = options["as_of"] or dt.date.today()
            for period, values in services.compute_portfolio_kpis(ctx, as_of, options["months"]).items():
                self.stdout.write(
                    f"{period}: " + (", ".join(f"{k}={v:g}" for k, v in values.items()) or "no data")
                )
        elif action == "import":
            path = options["file"]
            try:
                with open(path, "rb") as handle:
                    rows = services.parse_measurement_file(path, handle.read())
                counts = services.import_measurements(ctx.with_reason(f"import {path}"), rows)
            except OSError as exc:
                raise CommandError(f"Cannot read {path}: {exc}") from None
            except ValidationError as exc:
                raise CommandError("Nothing was imported:\n" + "\n".join(exc.messages)) from None
            self.stdout.write(f"Imported {counts['created']} new values, replaced {counts['replaced']}.")
