"""``portolan psplib PATH... [--time-limit SECONDS] [--workers N] [--jsonl]``: solve PSPLIB instances."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from portolan.engine import rcpsp_ga
from portolan.engine.psplib import instance_paths, read_sm
from portolan.engine.rcpsp import solve_rcpsp


class Command(BaseCommand):
    help = (
        "Solve PSPLIB single-mode RCPSP instances (.sm files or directories of them) with CP-SAT; "
        "print a table, or one JSON object per instance with --jsonl."
    )
    # Works on files: the system checks (which import every URL module, ~1 s) are not needed.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".sm file or directory")
        parser.add_argument("--time-limit", type=float, default=10.0, help="Seconds per instance.")
        parser.add_argument(
            "--workers", type=int, default=2, help="Threads per instance (below 60 jobs the GA takes one)."
        )
        parser.add_argument("--jsonl", action="store_true", help="One JSON object per line.")

    def handle(self, *args, paths, time_limit, workers, jsonl, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        files = instance_paths(paths)
        if not files:
            raise CommandError("No .sm files found.")
        table = Table("instance", "jobs", "makespan", "lower bound", "optimal", "time (s)")
        rcpsp_ga.warm_up()  # load the compiled kernels before the first instance's clock starts
        for path in files:
            try:
                problem = read_sm(path)
            except (ValueError, StopIteration) as exc:
                raise CommandError(f"{path}: not a PSPLIB single-mode file ({exc})") from exc
            solution = solve_rcpsp(problem, time_limit=time_limit, num_workers=workers)
            row = {
                "instance": problem.name,
                "jobs": problem.n_jobs,
                "makespan": solution.makespan,
                "starts": list(solution.starts),
                "lower_bound": solution.lower_bound,
                "optimal": solution.optimal,
                "time_s": round(solution.time_s, 3),
            }
            if jsonl:
                self.stdout.write(json.dumps(row))
            else:
                table.add_row(
                    *(str(row[k]) for k in ("instance", "jobs", "makespan", "lower_bound")),
                    "yes" if solution.optimal else "no",
                    f"{solution.time_s:.2f}",
                )
        if not jsonl:
            Console(file=self.stdout, width=100).print(table)
