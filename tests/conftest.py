"""Persona fixtures: one user per role plus an outsider, and a small portfolio they share."""

import pytest
from django.test import Client

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.core.roles import Role
from tests.factories import InitiativeFactory, TeamFactory, UserFactory


@pytest.fixture
def team(db):
    return TeamFactory(code="NET", name="Network")


@pytest.fixture
def other_team(db):
    return TeamFactory(code="SEC", name="Security")


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def manager(db):
    return UserFactory(username="pmo", role=Role.PORTFOLIO_MANAGER)


@pytest.fixture
def contributor(db, team):
    user = UserFactory(username="contributor", role=Role.CONTRIBUTOR)
    team.members.add(user)
    return user


@pytest.fixture
def executive(db):
    return UserFactory(username="executive", role=Role.EXECUTIVE)


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer", role=Role.VIEWER)


@pytest.fixture
def outsider(db):
    """Logged in, but without any role: sees nothing."""
    return UserFactory(username="outsider")


@pytest.fixture
def personas(admin, manager, contributor, executive, viewer, outsider) -> dict:
    return {
        "admin": admin,
        "manager": manager,
        "contributor": contributor,
        "executive": executive,
        "viewer": viewer,
        "outsider": outsider,
    }


@pytest.fixture
def own_initiative(contributor, team):
    """Owned by the contributor's team."""
    return InitiativeFactory(key="NET-001", title="SD-WAN rollout", team=team)


@pytest.fixture
def foreign_initiative(other_team):
    """Owned by another team: a contributor may read but not change it."""
    return InitiativeFactory(key="SEC-001", title="MFA for all", team=other_team)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def cli_ctx():
    return ChangeContext(user=None, source=AuditEntry.Source.CLI)


def last_audit(obj=None) -> AuditEntry:
    entries = AuditEntry.objects.all()
    if obj is not None:
        entries = entries.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
    return entries.order_by("-pk").first()
