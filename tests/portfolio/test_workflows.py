"""Portfolio rules that pages, API and services share: stage workflow, dependency cycles,
one Accountable, append-only status updates, contributors on their own initiatives only,
restricted drop-downs."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portolan.core.models import AuditEntry
from portolan.portfolio import services
from portolan.portfolio.forms import DependencyForm, InitiativeForm, MilestoneForm
from portolan.portfolio.models import Dependency, Initiative, Milestone, RaciAssignment, StatusUpdate
from tests.conftest import client_for, last_audit
from tests.factories import InitiativeFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 15)


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    return TODAY


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---------------------------------------------------------------------------------------
# Stage workflow
# ---------------------------------------------------------------------------------------


def test_stage_moves_along_allowed_transitions_with_side_effects(cli_ctx, fixed_today):
    initiative = InitiativeFactory(key="W-1")
    for stage in ("assessment", "approved", "in_progress"):
        services.change_stage(cli_ctx, initiative, stage)
    initiative.refresh_from_db()
    assert initiative.stage == "in_progress"
    assert initiative.actual_start == TODAY
    assert initiative.actual_finish is None

    services.change_stage(cli_ctx, initiative, "done", reason="Accepted by the board")
    initiative.refresh_from_db()
    assert (initiative.actual_finish, initiative.progress) == (TODAY, 100)
    entry = last_audit(initiative)
    assert (entry.before["stage"], entry.after["stage"]) == ("in_progress", "done")
    assert entry.reason == "Accepted by the board"


def test_stage_change_keeps_an_actual_start_already_recorded(cli_ctx, fixed_today):
    initiative = InitiativeFactory(key="W-2", stage="on_hold", actual_start=dt.date(2026, 1, 5))
    services.change_stage(cli_ctx, initiative, "in_progress")
    initiative.refresh_from_db()
    assert initiative.actual_start == dt.date(2026, 1, 5)


def test_stage_transition_not_allowed_is_refused_naming_the_allowed_ones(cli_ctx):
    initiative = InitiativeFactory(key="W-3")
    with pytest.raises(ValidationError) as exc:
        services.change_stage(cli_ctx, initiative, "done")
    assert "cannot go from Idea to Done (allowed: Assessment, On hold, Cancelled)" in str(exc.value)
    initiative.refresh_from_db()
    assert initiative.stage == "idea"
    assert not AuditEntry.objects.filter(action="update").exists()


def test_closed_initiative_has_no_way_out(cli_ctx):
    initiative = InitiativeFactory(key="W-4", stage="cancelled")
    assert services.allowed_stages(initiative) == ()
    with pytest.raises(ValidationError, match="none: it is closed"):
        services.change_stage(cli_ctx, initiative, "idea")


def test_stage_page_refuses_a_forbidden_transition_with_the_allowed_ones(manager, own_initiative):
    response = client_for(manager).post(
        reverse("portfolio:initiative_stage", args=[own_initiative.pk]), {"stage": "done"}, follow=True
    )
    assert any("allowed: Assessment, On hold, Cancelled" in m for m in messages_of(response))
    own_initiative.refresh_from_db()
    assert own_initiative.stage == "idea"


def test_stage_page_moves_the_initiative_and_records_the_reason(manager, own_initiative):
    response = client_for(manager).post(
        reverse("portfolio:initiative_stage", args=[own_initiative.pk]),
        {"stage": "assessment", "reason": "Business case ready"},
    )
    assert response.status_code == 302
    entry = last_audit(own_initiative)
    assert entry.after["stage"] == "assessment"
    assert (entry.reason, entry.source, entry.request_id) == (
        "Business case ready",
        "web",
        response["X-Request-ID"],
    )


def test_api_refuses_a_forbidden_transition_with_the_allowed_ones(manager, own_initiative):
    response = client_for(manager).patch(
        reverse("api:initiative-detail", args=[own_initiative.pk]),
        {"stage": "done"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "allowed: Assessment, On hold, Cancelled" in response.json()["stage"][0]


def test_bulk_stage_change_is_all_or_nothing(manager, cli_ctx):
    ok = InitiativeFactory(key="B-1", stage="assessment")
    blocked = InitiativeFactory(key="B-2", stage="idea")
    response = client_for(manager).post(
        reverse("portfolio:initiative_bulk_edit"),
        {"pk": [ok.pk, blocked.pk], "stage": "approved"},
        follow=True,
    )
    assert any("Nothing was changed" in m and "B-2" in m for m in messages_of(response))
    ok.refresh_from_db()
    assert ok.stage == "assessment"
    assert not AuditEntry.objects.filter(action="update").exists()


# ---------------------------------------------------------------------------------------
# Dependencies
# ---------------------------------------------------------------------------------------


@pytest.fixture
def chain(cli_ctx):
    a, b, c = (InitiativeFactory(key=k) for k in ("A-1", "B-1", "C-1"))
    services.add_dependency(cli_ctx, {"predecessor": a, "successor": b})
    services.add_dependency(cli_ctx, {"predecessor": b, "successor": c})
    return a, b, c


def test_dependency_page_refuses_a_cycle_naming_it(manager, chain):
    a, b, c = chain
    response = client_for(manager).post(
        reverse("portfolio:dependency_add"),
        {"predecessor": c.pk, "successor": a.pk, "type": "FS", "lag_days": "0"},
    )
    assert response.status_code == 200
    assert "would close a cycle: C-1 → A-1 → B-1 → C-1" in response.content.decode()
    assert Dependency.objects.count() == 2


def test_dependency_api_refuses_a_cycle_naming_it(manager, chain):
    a, b, c = chain
    response = client_for(manager).post(
        reverse("api:dependency-list"),
        {"predecessor": c.pk, "successor": a.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "C-1 → A-1 → B-1 → C-1" in response.json()["predecessor"][0]
    assert Dependency.objects.count() == 2


def test_editing_a_dependency_into_a_cycle_is_refused(cli_ctx, chain):
    a, b, c = chain
    d = InitiativeFactory(key="D-1")
    dep = services.add_dependency(cli_ctx, {"predecessor": d, "successor": a})
    with pytest.raises(ValidationError, match="C-1 → A-1 → B-1 → C-1"):
        services.update_dependency(cli_ctx, dep, {"predecessor": c, "successor": a})
    dep.refresh_from_db()
    assert (dep.predecessor, dep.successor) == (d, a)


# ---------------------------------------------------------------------------------------
# RACI: exactly one Accountable
# ---------------------------------------------------------------------------------------


def test_new_initiative_gets_its_owner_as_accountable(cli_ctx, contributor, team):
    initiative = services.create_initiative(
        cli_ctx, {"key": "R-1", "title": "x", "owner": contributor, "team": team}
    )
    assert [(a.role, a.user) for a in initiative.raci.all()] == [("A", contributor)]


def test_a_new_accountable_replaces_the_old_one_with_audit_rows(cli_ctx, contributor, manager, team):
    initiative = services.create_initiative(
        cli_ctx, {"key": "R-2", "title": "x", "owner": contributor, "team": team}
    )
    old = initiative.raci.get(role="A")
    new = services.set_raci(cli_ctx, {"initiative": initiative, "role": "A", "user": manager})
    assert list(initiative.raci.filter(role="A")) == [new]
    assert AuditEntry.objects.filter(
        object_id=str(old.pk), content_type__model="raciassignment", action="delete"
    ).exists()


def test_page_adding_an_accountable_replaces_the_previous_one(manager, contributor, own_initiative, cli_ctx):
    services.set_raci(cli_ctx, {"initiative": own_initiative, "role": "A", "user": contributor})
    response = client_for(manager).post(
        reverse("portfolio:raciassignment_add"),
        {"initiative": own_initiative.pk, "role": "A", "user": manager.pk},
    )
    assert response.status_code == 302
    assert [a.user for a in own_initiative.raci.filter(role="A")] == [manager]


def test_removing_the_only_accountable_is_refused_on_page_api_and_service(
    manager, contributor, own_initiative, cli_ctx
):
    a = services.set_raci(cli_ctx, {"initiative": own_initiative, "role": "A", "user": contributor})
    page = client_for(manager).post(reverse("portfolio:raciassignment_delete", args=[a.pk]), follow=True)
    assert any("exactly one Accountable" in m for m in messages_of(page))
    api = client_for(manager).delete(reverse("api:raciassignment-detail", args=[a.pk]))
    assert api.status_code == 400
    assert "exactly one Accountable" in api.content.decode()
    with pytest.raises(ValidationError):
        services.remove_raci(cli_ctx, a)
    with pytest.raises(ValidationError):
        services.update_raci(cli_ctx, a, {"role": "R"})
    assert RaciAssignment.objects.filter(pk=a.pk, role="A").exists()


# ---------------------------------------------------------------------------------------
# Status updates: append-only history
# ---------------------------------------------------------------------------------------


def test_status_updates_accumulate_and_cannot_be_changed(manager, own_initiative, cli_ctx):
    first = services.add_status_update(cli_ctx, own_initiative, {"overall": "green", "narrative": "Fine"})
    services.add_status_update(cli_ctx, own_initiative, {"overall": "red", "narrative": "Blocked"})
    assert [u.overall for u in own_initiative.status_updates.order_by("pk")] == ["green", "red"]
    own_initiative.refresh_from_db()
    assert own_initiative.health_overall == "red"
    client = client_for(manager)
    detail = reverse("api:statusupdate-detail", args=[first.pk])
    for method in ("put", "patch", "delete"):
        assert (
            getattr(client, method)(detail, {"overall": "red"}, content_type="application/json").status_code
            == 405
        )
    assert StatusUpdate.objects.get(pk=first.pk).overall == "green"


# ---------------------------------------------------------------------------------------
# Contributors change their own team's initiatives only
# ---------------------------------------------------------------------------------------


def test_contributor_edits_own_initiative_on_the_page(contributor, own_initiative, team):
    client = client_for(contributor)
    url = reverse("portfolio:initiative_edit", args=[own_initiative.pk])
    assert client.get(url).status_code == 200
    data = {"key": "NET-001", "title": "SD-WAN phase 2", "kind": "project", "team": team.pk, "progress": "10"}
    data |= {f: "0" for f in ("budget_capex", "budget_opex", "forecast_cost", "actual_cost")}
    assert client.post(url, data).status_code == 302
    own_initiative.refresh_from_db()
    assert own_initiative.title == "SD-WAN phase 2"
    assert last_audit(own_initiative).actor == contributor


def test_contributor_cannot_edit_another_teams_initiative_page_or_api(contributor, foreign_initiative):
    client = client_for(contributor)
    assert client.get(reverse("portfolio:initiative_edit", args=[foreign_initiative.pk])).status_code == 403
    forged = client.post(
        reverse("portfolio:initiative_edit", args=[foreign_initiative.pk]), {"title": "Mine now"}
    )
    assert forged.status_code == 403
    api = client.patch(
        reverse("api:initiative-detail", args=[foreign_initiative.pk]),
        {"title": "Mine now"},
        content_type="application/json",
    )
    assert api.status_code == 403
    foreign_initiative.refresh_from_db()
    assert foreign_initiative.title == "MFA for all"
    assert not AuditEntry.objects.exists()


def test_contributor_cannot_create_an_initiative_for_another_team(contributor, other_team):
    response = client_for(contributor).post(
        reverse("api:initiative-list"),
        {"key": "SEC-9", "title": "x", "team": other_team.pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Initiative.objects.filter(key="SEC-9").exists()


def test_contributor_cannot_add_a_milestone_to_another_teams_initiative(contributor, foreign_initiative):
    client = client_for(contributor)
    page = client.post(
        reverse("portfolio:milestone_add"),
        {"initiative": foreign_initiative.pk, "name": "M", "planned_date": "2027-01-01"},
    )
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    api = client.post(
        reverse("api:milestone-list"),
        {"initiative": foreign_initiative.pk, "name": "M", "planned_date": "2027-01-01"},
        content_type="application/json",
    )
    assert api.status_code == 403
    assert not Milestone.objects.exists()


def test_contributor_bulk_edit_touching_another_teams_initiative_changes_nothing(
    contributor, own_initiative, foreign_initiative
):
    response = client_for(contributor).post(
        reverse("portfolio:initiative_bulk_edit"),
        {"pk": [own_initiative.pk, foreign_initiative.pk], "stage": "assessment"},
        follow=True,
    )
    assert any("not yours to edit" in m for m in messages_of(response))
    assert set(Initiative.objects.values_list("stage", flat=True)) == {"idea"}


def test_contributor_may_delete_own_milestone_but_not_another_teams(
    contributor, own_initiative, foreign_initiative
):
    own, foreign = (
        MilestoneFactory(initiative=own_initiative),
        MilestoneFactory(initiative=foreign_initiative),
    )
    client = client_for(contributor)
    assert client.post(reverse("portfolio:milestone_delete", args=[foreign.pk])).status_code == 403
    assert client.post(reverse("portfolio:milestone_delete", args=[own.pk])).status_code == 302
    assert list(Milestone.objects.all()) == [foreign]


# ---------------------------------------------------------------------------------------
# Drop-downs offer only what the user may use
# ---------------------------------------------------------------------------------------


def test_child_forms_offer_a_contributor_only_their_own_initiatives(
    contributor, manager, own_initiative, foreign_initiative
):
    assert list(MilestoneForm(user=contributor).fields["initiative"].queryset) == [own_initiative]
    assert list(DependencyForm(user=contributor).fields["successor"].queryset) == [own_initiative]
    # Any visible initiative may be the predecessor of one's own.
    assert set(DependencyForm(user=contributor).fields["predecessor"].queryset) == {
        own_initiative,
        foreign_initiative,
    }
    assert set(MilestoneForm(user=manager).fields["initiative"].queryset) == {
        own_initiative,
        foreign_initiative,
    }


def test_forms_offer_nothing_to_a_user_without_a_role(outsider, own_initiative):
    form = InitiativeForm(user=outsider)
    assert not form.fields["parent"].queryset.exists()
    assert not form.fields["team"].queryset.exists()
    assert not MilestoneForm(user=outsider).fields["initiative"].queryset.exists()


def test_milestone_add_page_lists_only_the_contributors_initiatives(
    contributor, own_initiative, foreign_initiative
):
    html = client_for(contributor).get(reverse("portfolio:milestone_add")).content.decode()
    assert "NET-001" in html
    assert "SEC-001" not in html


def test_initiatives_filter_by_tag_on_page_and_api(manager, cli_ctx):
    tagged = services.create_initiative(cli_ctx, {"key": "T-1", "title": "x", "tags": ["network"]})
    InitiativeFactory(key="T-2")
    api = client_for(manager).get(reverse("api:initiative-list"), {"tag": "network"})
    assert [row["key"] for row in api.json()["results"]] == [tagged.key]
    page = client_for(manager).get(reverse("portfolio:initiative_list"), {"tag": "network"})
    assert "T-1" in page.content.decode() and "T-2" not in page.content.decode()
