from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portolan.core.audit import ChangeContext, record, snapshot
from portolan.core.models import ApiToken, AuditEntry


class Command(BaseCommand):
    help = "API tokens: 'token create USERNAME [--name NAME]' prints a new token; only its hash is stored."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for USERNAME and print it once.")
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for.")
        revoke = sub.add_parser("revoke", help="Revoke the tokens of USERNAME whose prefix is given.")
        revoke.add_argument("username")
        revoke.add_argument("prefix")

    def handle(self, *args, action, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        ctx = ChangeContext(user=None, source=AuditEntry.Source.CLI)
        with transaction.atomic():
            if action == "create":
                token, raw = ApiToken.issue(user, options["name"])
                record(ctx, AuditEntry.Action.CREATE, token, None, snapshot(token))
                self.stdout.write(raw)
                return
            tokens = list(ApiToken.objects.filter(user=user, prefix=options["prefix"]))
            if not tokens:
                raise CommandError(f"{username} has no token starting with ptl_{options['prefix']}.")
            for token in tokens:
                record(ctx, AuditEntry.Action.DELETE, token, snapshot(token), None)
                token.delete()
            self.stdout.write(f"Revoked {len(tokens)} token(s).")
