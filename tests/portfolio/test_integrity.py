"""Integrity rules found in review: no moving objects onto others' initiatives, a real
program tree, cascades audited, backdated status updates, history of what hangs off an
initiative, Accountable from the start."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portolan.core.audit import history
from portolan.core.models import AuditEntry
from portolan.core.services import delete
from portolan.portfolio import services
from portolan.portfolio.models import Dependency, Initiative, Milestone, RaciAssignment
from tests.conftest import client_for
from tests.factories import InitiativeFactory, MilestoneFactory

pytestmark = pytest.mark.django_db


def test_contributor_cannot_move_own_milestone_onto_another_teams_initiative(
    contributor, own_initiative, foreign_initiative
):
    milestone = MilestoneFactory(initiative=own_initiative)
    response = client_for(contributor).patch(
        reverse("api:milestone-detail", args=[milestone.pk]),
        {"initiative": foreign_initiative.pk},
        content_type="application/json",
    )
    assert response.status_code in (400, 403)
    milestone.refresh_from_db()
    assert milestone.initiative_id == own_initiative.pk
    assert not AuditEntry.objects.filter(content_type__model="milestone").exists()


def test_contributor_cannot_rewrite_a_dependency_between_initiatives_they_do_not_own(
    contributor, cli_ctx, own_initiative, foreign_initiative, other_team
):
    third = InitiativeFactory(key="SEC-002", team=other_team)
    dependency = services.add_dependency(
        cli_ctx, {"predecessor": foreign_initiative, "successor": own_initiative}
    )
    response = client_for(contributor).patch(
        reverse("api:dependency-detail", args=[dependency.pk]),
        {"predecessor": foreign_initiative.pk, "successor": third.pk},
        content_type="application/json",
    )
    assert response.status_code in (400, 403)
    dependency.refresh_from_db()
    assert dependency.successor_id == own_initiative.pk


def test_a_dependency_belongs_to_the_initiative_that_waits(
    contributor, cli_ctx, own_initiative, foreign_initiative, other_team
):
    third = InitiativeFactory(key="SEC-003", team=other_team)
    waits_on_us = services.add_dependency(
        cli_ctx, {"predecessor": own_initiative, "successor": foreign_initiative}
    )
    we_wait = services.add_dependency(cli_ctx, {"predecessor": third, "successor": own_initiative})
    assert not waits_on_us.user_can(contributor, "change")
    assert we_wait.user_can(contributor, "change")


def test_parent_must_be_a_program(cli_ctx):
    project = InitiativeFactory(key="PRJ-1")
    other = InitiativeFactory(key="PRJ-2")
    with pytest.raises(ValidationError) as exc:
        services.update_initiative(cli_ctx, other, {"parent": project})
    assert "The parent must be a program; PRJ-1 is a project." in str(exc.value)


def test_program_with_projects_cannot_stop_being_a_program(cli_ctx):
    program = InitiativeFactory(key="PRG-1", kind=Initiative.Kind.PROGRAM)
    InitiativeFactory(key="PRJ-1", parent=program)
    with pytest.raises(ValidationError) as exc:
        services.update_initiative(cli_ctx, program, {"kind": Initiative.Kind.PROJECT})
    assert "It is the program of 1 initiatives" in str(exc.value)


def test_deleting_an_initiative_records_everything_that_goes_with_it(
    cli_ctx, own_initiative, foreign_initiative
):
    MilestoneFactory(initiative=own_initiative, name="Go-live")
    services.add_dependency(cli_ctx, {"predecessor": foreign_initiative, "successor": own_initiative})
    services.add_status_update(cli_ctx, own_initiative, {"overall": "green", "narrative": "Fine."})
    AuditEntry.objects.all().delete()
    delete(cli_ctx, Initiative.objects.get(pk=own_initiative.pk))
    deleted = sorted(AuditEntry.objects.filter(action="delete").values_list("content_type__model", flat=True))
    assert deleted == ["dependency", "initiative", "milestone", "statusupdate"]
    assert not Milestone.objects.exists() and not Dependency.objects.exists()


def test_a_backdated_status_update_does_not_change_current_health(cli_ctx, own_initiative):
    services.add_status_update(
        cli_ctx, own_initiative, {"date": dt.date(2027, 3, 1), "overall": "green", "narrative": "Ok."}
    )
    services.add_status_update(
        cli_ctx, own_initiative, {"date": dt.date(2026, 1, 1), "overall": "red", "narrative": "Old news."}
    )
    own_initiative.refresh_from_db()
    assert own_initiative.health_overall == "green"
    assert own_initiative.status_updates.count() == 2


def test_history_of_an_initiative_includes_what_hangs_off_it(cli_ctx, manager, own_initiative):
    services.add_status_update(cli_ctx, own_initiative, {"overall": "amber", "narrative": "Vendor late."})
    models = {entry.content_type.model for entry in history(own_initiative)}
    assert {"statusupdate", "initiative"} <= models
    page = client_for(manager).get(
        reverse("portfolio:initiative_detail", args=[own_initiative.pk]), {"tab": "history"}
    )
    assert "Vendor late." in page.content.decode()


def test_initiative_without_owner_has_its_team_accountable(cli_ctx, team):
    initiative = services.create_initiative(cli_ctx, {"key": "NET-9", "title": "Edge", "team": team})
    accountable = initiative.raci.get(role=RaciAssignment.Role.ACCOUNTABLE)
    assert accountable.team == team and accountable.user is None


def test_audit_log_ignores_a_date_that_is_not_one(manager):
    response = client_for(manager).get(reverse("audit_log"), {"since": "notadate", "until": "2020-13-45"})
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


def test_budget_column_sorts_by_capex_plus_opex(manager):
    InitiativeFactory(key="A-1", budget_capex=200, budget_opex=0)
    InitiativeFactory(key="B-1", budget_capex=100, budget_opex=10_000)
    page = client_for(manager).get(reverse("portfolio:initiative_list"), {"sort": "-budget"})
    assert [row["object"].key for row in page.context["rows"]] == ["B-1", "A-1"]
