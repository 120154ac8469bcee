"""``portolan export initiatives|dependencies|milestones --format xlsx|csv --out FILE [filters]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from portolan.portfolio import exporting
from portolan.portfolio.filters import InitiativeFilterSet
from portolan.portfolio.importing import TARGETS
from portolan.portfolio.models import Dependency, Initiative, Milestone, Team


class Command(BaseCommand):
    help = (
        "Export initiatives (with the initiative list's filters), dependencies or milestones to XLSX "
        "or CSV, in the columns the default import mapping reads back."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", choices=TARGETS)
        parser.add_argument("--format", dest="fmt", choices=sorted(exporting.FORMATS), required=True)
        parser.add_argument("--out", type=Path, required=True, help="The file to write.")
        parser.add_argument("--team", action="append", default=[], help="Team code (repeatable).")
        parser.add_argument(
            "--stage", action="append", default=[], help="Stage, e.g. in_progress (repeatable)."
        )
        parser.add_argument("--kind", action="append", default=[], help="Kind, e.g. project (repeatable).")
        parser.add_argument("--health", action="append", default=[], help="green, amber or red (repeatable).")
        parser.add_argument("--tag", action="append", default=[], help="Tag name (repeatable).")
        parser.add_argument("-q", "--search", default="", help="Text in key, title or description.")

    def handle(self, *args, target, fmt, out, **options):
        initiatives = self._initiatives(options)
        if target == "initiatives":
            queryset = initiatives
        elif target == "dependencies":
            queryset = Dependency.objects.filter(successor__in=initiatives)
        else:
            queryset = Milestone.objects.filter(initiative__in=initiatives)
        if fmt == "csv":
            with out.open("w", encoding="utf-8", newline="") as fh:
                count = exporting.export(target, queryset, fmt, fh)
        else:
            with out.open("wb") as fh:
                count = exporting.export(target, queryset, fmt, fh)
        self.stdout.write(f"Wrote {count} {target} to {out}.")

    def _initiatives(self, options):
        query = QueryDict(mutable=True)
        for code in options["team"]:
            team = Team.objects.filter(code__iexact=code).first()
            if team is None:
                raise CommandError(f"Unknown team code '{code}'.")
            query.appendlist("team", str(team.pk))
        for name in ("stage", "kind", "health", "tag"):
            for value in options[name]:
                query.appendlist(name, value)
        if options["search"]:
            query["q"] = options["search"]
        filterset = InitiativeFilterSet(query, queryset=Initiative.objects.all())
        if not filterset.is_valid():
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in filterset.errors.items())
            raise CommandError(f"Invalid filter: {problems}")
        return filterset.qs
