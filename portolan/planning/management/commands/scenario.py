"""``portolan scenario list`` and ``portolan scenario solve NAME``: solve a scenario from the shell."""

from django.core.management.base import BaseCommand, CommandError

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.planning import services
from portolan.planning.models import Scenario


class Command(BaseCommand):
    help = "List scenarios or solve one (selection, frontier, schedule) and store its results."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="List scenarios with their status.")
        solve = sub.add_parser("solve", help="Solve a scenario by name.")
        solve.add_argument("name")
        solve.add_argument(
            "--time-limit", type=float, default=services.TIME_LIMIT, help="Seconds for the selection MILP."
        )
        solve.add_argument("--no-frontier", action="store_true", help="Skip the efficient frontier.")

    def handle(self, *args, **options):
        if options["action"] == "list":
            for s in Scenario.objects.order_by("-is_plan_of_record", "name"):
                star = "*" if s.is_plan_of_record else " "
                self.stdout.write(f"{star} {s.name}  [{s.get_status_display()}]")
            return
        scenario = Scenario.objects.filter(name=options["name"]).first()
        if scenario is None:
            raise CommandError(f"No scenario named {options['name']!r} (see: portolan scenario list).")
        ctx = ChangeContext(user=None, source=AuditEntry.Source.CLI, reason="solved from the command line")
        scenario = services.solve_scenario(
            ctx, scenario, time_limit=options["time_limit"], frontier=not options["no_frontier"]
        )
        results = scenario.results
        for message in results.get("messages", []):
            self.stdout.write(f"{message['level']}: {message['text']}")
        if scenario.status != Scenario.Status.SOLVED:
            for conflict in results.get("conflicts", []):
                self.stderr.write(f"conflict: {conflict['message']}")
            raise CommandError(f"{scenario.name}: no feasible plan (conflicts above).")
        sel, schedule = results["selection"], results.get("schedule") or {}
        self.stdout.write(
            self.style.SUCCESS(
                f"{scenario.name}: value {sel['objective']:.2f} with {len(sel['selected'])} initiatives "
                f"(gain over greedy {sel['gain_over_greedy']:+.2f}, gap {sel['mip_gap']:.4f}); "
                f"plan ends {schedule.get('end_label', '—')}; "
                f"critical chain: {' → '.join(schedule.get('critical_chain', []))}"
            )
        )
