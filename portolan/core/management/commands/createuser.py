import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portolan.core.audit import ChangeContext, record, snapshot
from portolan.core.models import AuditEntry, Profile
from portolan.core.roles import Role


class Command(BaseCommand):
    help = "Create a user with a role (admin, portfolio_manager, contributor, executive, viewer)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="Read from the PORTOLAN_PASSWORD variable when omitted.")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, password=None, email="", **options):
        password = password or os.environ.get("PORTOLAN_PASSWORD")
        if not password:
            raise CommandError("Give --password or set PORTOLAN_PASSWORD.")
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        user = User(
            username=username, email=email, is_superuser=role == Role.ADMIN, is_staff=role == Role.ADMIN
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            profile = Profile.objects.create(user=user, role=role)
            ctx = ChangeContext(user=None, source=AuditEntry.Source.CLI)
            record(ctx, AuditEntry.Action.CREATE, profile, None, snapshot(profile))
        self.stdout.write(f"Created {username} ({Role(role).label}).")
