import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from portolan.portfolio.demo import DEMO_PASSWORD, USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo infrastructure portfolio (teams, objectives, 60+ initiatives, one user per role)."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="The demo's 'today' (YYYY-MM-DD).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing (and succeed) when data exists."
        )

    def handle(self, *args, as_of=None, if_empty=False, **options):
        try:
            counts = load_demo(as_of=as_of)
        except ValueError as exc:
            if if_empty:
                self.stdout.write("The portfolio already has data; demo not loaded again.")
                return
            raise CommandError(str(exc)) from None
        self.stdout.write("Loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        self.stdout.write(
            f"Log in as any of {', '.join(u[0] for u in USERS[:5])} with password {DEMO_PASSWORD!r}."
        )
