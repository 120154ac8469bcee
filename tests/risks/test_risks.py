"""The risk register: scores and their history, mitigation actions, heatmaps, roll-ups, schedule risk."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.portfolio.models import Dependency, Initiative, Milestone
from portolan.risks import services
from portolan.risks.models import DurationEstimate, MitigationAction, Risk, RiskScoreChange
from tests.conftest import client_for, last_audit
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 30)


def risk_data(key="RSK-1", p=4, i=4, rp=2, ri=3, **extra):
    return {
        "key": key,
        "title": f"Risk {key}",
        "category": "technical",
        "probability": p,
        "impact": i,
        "residual_probability": rp,
        "residual_impact": ri,
        **extra,
    }


def make_risk(key="RSK-1", ctx=None, **extra):
    return services.create_risk(ctx or ChangeContext(user=None), risk_data(key, **extra))


# ---------------------------------------------------------------------------- scores


@pytest.mark.parametrize(("field", "value"), [("probability", 6), ("impact", 0), ("residual_probability", 9)])
def test_a_rating_outside_one_to_five_is_refused_in_words_and_nothing_is_saved(field, value):
    with pytest.raises(ValidationError) as exc:
        make_risk(**{{"probability": "p", "impact": "i", "residual_probability": "rp"}[field]: value})
    message = " ".join(exc.value.message_dict[field])
    assert "1–5 scale" in message and f"{value} is outside it" in message
    assert not Risk.objects.exists() and not RiskScoreChange.objects.exists()
    assert not AuditEntry.objects.exists()


def test_risk_form_shows_the_scale_error_next_to_the_field(manager):
    data = {**risk_data(p=7), "response": "mitigate", "status": "identified", "proximity": "medium"}
    response = client_for(manager).post(reverse("risks:risk_add"), data)
    assert response.status_code == 200
    assert "The probability is rated on a 1–5 scale" in response.content.decode()
    assert not Risk.objects.exists()


def test_creating_a_risk_scores_it_audits_it_and_starts_its_history(manager):
    risk = make_risk(ctx=ChangeContext(user=manager))
    assert (risk.inherent_score, risk.residual_score, risk.inherent_band, risk.residual_band) == (
        16,
        6,
        "red",
        "amber",
    )
    entry = last_audit(risk)
    assert (entry.action, entry.actor, entry.after["probability"]) == ("create", manager, 4)
    history = list(risk.score_history.values_list("inherent_score", "residual_score", "changed_by"))
    assert history == [(16, 6, manager.pk)]


def test_score_changes_append_history_rows_and_other_edits_do_not(manager):
    ctx = ChangeContext(user=manager)
    risk = make_risk(ctx=ctx)
    services.update_risk(ctx, risk, {"title": "Renamed"})
    assert risk.score_history.count() == 1
    services.reassess(ctx, risk, {"residual_probability": 1}, reason="vendor signed", on=dt.date(2026, 10, 1))
    rows = list(risk.score_history.order_by("pk").values_list("residual_score", "reason"))
    assert rows[-1] == (3, "vendor signed")
    assert len(rows) == 2
    entry = last_audit(risk)
    assert (entry.before["residual_probability"], entry.after["residual_probability"]) == (2, 1)
    assert entry.reason == "vendor signed"


def test_exposure_trend_follows_the_score_history():
    ctx = ChangeContext(user=None)
    risk = services.create_risk(ctx, risk_data(), assessed_on=dt.date(2026, 9, 10))
    services.reassess(ctx, risk, {"residual_impact": 1}, on=dt.date(2026, 11, 5))
    points = services.exposure_trend(Risk.objects.all(), TODAY, months=4)
    assert [(p["month"], p["inherent"], p["residual"]) for p in points] == [
        ("2026-08", 0, 0),
        ("2026-09", 16, 6),
        ("2026-10", 16, 6),
        ("2026-11", 16, 2),
    ]


# ---------------------------------------------------------------------------- ownership


def test_contributor_edits_their_teams_risk_but_not_another_teams(contributor, team, other_team):
    own = make_risk("OWN-1", team=team)
    foreign = make_risk("FOR-1", team=other_team)
    client = client_for(contributor)
    assert client.get(reverse("risks:risk_edit", args=[own.pk])).status_code == 200
    assert client.get(reverse("risks:risk_edit", args=[foreign.pk])).status_code == 403
    data = {
        **risk_data("OWN-1", rp=1),
        "team": team.pk,
        "response": "mitigate",
        "status": "treating",
        "proximity": "short",
    }
    assert client.post(reverse("risks:risk_edit", args=[own.pk]), data).status_code == 302
    own.refresh_from_db()
    assert own.residual_probability == 1
    assert last_audit(own).actor == contributor
    with pytest.raises(PermissionDenied):
        services.update_risk(ChangeContext(user=contributor), foreign, {"title": "Mine now"})


def test_viewer_cannot_edit_a_risk_and_sees_no_edit_button(viewer, team):
    risk = make_risk(team=team)
    client = client_for(viewer)
    assert client.get(reverse("risks:risk_edit", args=[risk.pk])).status_code == 403
    assert "edit-risk" not in client.get(risk.get_absolute_url()).content.decode()


def test_contributor_cannot_add_actions_to_another_teams_risk(contributor, team, other_team):
    foreign = make_risk("FOR-1", team=other_team)
    with pytest.raises(PermissionDenied, match="not your risk"):
        services.add_action(
            ChangeContext(user=contributor), {"risk": foreign, "title": "Sneaky", "owner": contributor}
        )
    assert not MitigationAction.objects.exists()
    own = make_risk("OWN-1", team=team)
    action = services.add_action(
        ChangeContext(user=contributor), {"risk": own, "title": "Fix", "owner": contributor}
    )
    assert last_audit(action).action == "create"


# ---------------------------------------------------------------------------- actions


def test_overdue_actions_are_flagged_and_listed(manager):
    risk = make_risk()
    ctx = ChangeContext(user=None)
    late = services.add_action(ctx, {"risk": risk, "title": "Late", "due_date": dt.date(2020, 1, 1)})
    services.add_action(
        ctx, {"risk": risk, "title": "Done late", "due_date": dt.date(2020, 1, 1), "status": "done"}
    )
    services.add_action(ctx, {"risk": risk, "title": "Future", "due_date": dt.date(2099, 1, 1)})
    assert late.is_overdue
    assert list(services.overdue_actions(MitigationAction.objects.all())) == [late]
    page = client_for(manager).get(reverse("risks:action_list"), {"overdue": "true"}).content.decode()
    assert "Late" in page and "Future" not in page and "⚠ 1 overdue" in page


def test_completing_an_action_stamps_its_completion_date():
    risk = make_risk()
    action = services.add_action(ChangeContext(user=None), {"risk": risk, "title": "Do it"})
    services.update_action(ChangeContext(user=None), action, {"status": "done"})
    assert action.completed_date is not None
    assert last_audit(action).after["status"] == "done"


# ---------------------------------------------------------------------------- heatmap and roll-ups


def test_heatmap_counts_by_cell_and_each_cell_links_to_its_risks(executive, team):
    make_risk("A", p=4, i=4, rp=2, ri=3)
    make_risk("B", p=4, i=4, rp=2, ri=3)
    make_risk("C", p=1, i=5, rp=1, ri=5, team=team)
    inherent = services.heatmap(Risk.objects.all(), "inherent")
    assert inherent[1][3] == 2  # impact 4 (second row from the top), probability 4
    assert inherent[0][0] == 1  # impact 5, probability 1
    residual = services.heatmap(Risk.objects.all(), "residual")
    assert residual[2][1] == 2 and sum(map(sum, residual)) == 3
    client = client_for(executive)
    page = client.get(reverse("risks:heatmap")).content.decode()
    link = reverse("risks:risk_list") + "?residual_probability=2&amp;residual_impact=3"
    assert link in page
    listed = client.get(
        reverse("risks:risk_list"), {"residual_probability": 2, "residual_impact": 3}
    ).content.decode()
    assert "Risk A" in listed and "Risk B" in listed and "Risk C" not in listed


def test_risks_roll_up_by_team_objective_and_program(team):
    program = InitiativeFactory(key="PRG-1", kind="program")
    project = InitiativeFactory(key="PRJ-1", parent=program)
    risk = make_risk("A", team=team)
    risk.initiatives.add(project)
    make_risk("B", team=team, p=2, i=2, rp=1, ri=1)
    assert services.rollup(Risk.objects.all(), "team") == [{"label": "Network", "n": 2, "exposure": 7}]
    assert services.rollup(Risk.objects.all(), "program")[0] == {"label": "PRG-1", "n": 1, "exposure": 6}


# ---------------------------------------------------------------------------- schedule risk


def test_negative_or_unordered_duration_estimates_are_refused(cli_ctx):
    initiative = InitiativeFactory()
    with pytest.raises(ValidationError, match="cannot be negative"):
        services.save_estimate(
            cli_ctx,
            None,
            {"initiative": initiative, "optimistic_days": -5, "most_likely_days": 10, "pessimistic_days": 20},
        )
    with pytest.raises(ValidationError, match="optimistic ≤ most likely ≤ pessimistic"):
        services.save_estimate(
            cli_ctx,
            None,
            {"initiative": initiative, "optimistic_days": 30, "most_likely_days": 10, "pessimistic_days": 20},
        )
    assert not DurationEstimate.objects.exists()


def test_schedule_delay_must_be_complete_and_ordered():
    with pytest.raises(ValidationError, match="minimum ≤ most likely ≤ maximum"):
        make_risk(schedule_delay_min=10, schedule_delay_likely=5, schedule_delay_max=20)
    with pytest.raises(ValidationError, match="all three delays"):
        make_risk(schedule_delay_max=20)


def _chain(start=dt.date(2027, 1, 1)):
    """A -> B, both 100 days, fixed estimates; B has a go-live milestone with a deadline."""
    a = InitiativeFactory(key="A-1", planned_start=start, planned_finish=start + dt.timedelta(days=100))
    b = InitiativeFactory(
        key="B-1",
        planned_start=start + dt.timedelta(days=100),
        planned_finish=start + dt.timedelta(days=200),
        baseline_finish=start + dt.timedelta(days=200),
    )
    Dependency.objects.create(predecessor=a, successor=b)
    Milestone.objects.create(initiative=b, name="Go-live", planned_date=b.planned_finish, key_milestone=True)
    return a, b


def test_monte_carlo_of_fixed_estimates_gives_the_planned_dates(cli_ctx):
    a, b = _chain()
    for initiative in (a, b):
        services.save_estimate(
            cli_ctx,
            None,
            {
                "initiative": initiative,
                "optimistic_days": 100,
                "most_likely_days": 100,
                "pessimistic_days": 100,
            },
        )
    result = services.run_schedule_risk(
        Initiative.objects.all(), Risk.objects.all(), TODAY, seed=1, iterations=200
    )
    rows = {i["key"]: i for i in result["initiatives"]}
    assert rows["A-1"]["p80"] == "2027-04-11" and rows["B-1"]["p95"] == "2027-07-20"
    assert rows["B-1"]["probability"] == 1.0 and rows["B-1"]["derived"] is False
    milestone = result["milestones"][0]
    assert (milestone["name"], milestone["p50"], milestone["p80"]) == ("Go-live", "2027-07-20", "2027-07-20")


def test_monte_carlo_is_reproducible_flags_derived_estimates_and_includes_schedule_risks(cli_ctx):
    a, b = _chain()
    risk = make_risk(p=5, rp=5, schedule_delay_min=30, schedule_delay_likely=40, schedule_delay_max=60)
    risk.initiatives.add(a)
    args = (Initiative.objects.all(), Risk.objects.all(), TODAY)
    first = services.run_schedule_risk(*args, seed=7, iterations=500)
    assert first == services.run_schedule_risk(*args, seed=7, iterations=500)
    assert first["derived_count"] == 2
    assert [r["key"] for r in first["risks"]] == ["RSK-1"]
    assert first["risks"][0]["occurrence"] == pytest.approx(0.85, abs=0.06)
    b_row = next(i for i in first["initiatives"] if i["key"] == "B-1")
    assert b_row["p80"] > "2027-07-20"  # the risk and the pessimistic spread push the finish out
    assert b_row["probability"] < 0.5
    assert {t["key"] for t in first["tornado"]} <= {"A-1", "B-1"}


def test_schedule_risk_page_simulates_and_a_stored_run_feeds_the_dashboard(manager, viewer):
    _chain()
    client = client_for(viewer)
    page = client.get(reverse("risks:montecarlo"), {"seed": 3, "iterations": 300})
    assert page.status_code == 200 and "B-1" in page.content.decode()
    assert client.post(reverse("risks:montecarlo_store"), {"seed": 3, "iterations": 300}).status_code == 403
    response = client_for(manager).post(reverse("risks:montecarlo_store"), {"seed": 3, "iterations": 300})
    assert response.status_code == 302
    entry = last_audit()
    assert entry.content_type.model == "scheduleriskrun" and entry.actor == manager
    home = client.get(reverse("home")).content.decode()
    assert "B-1</a> Go-live" in home and "seed 3" in home


def test_dashboard_heatmap_counts_only_open_risks_like_the_list_it_links_to(executive):
    InitiativeFactory(key="PRJ-1")  # the dashboard needs a portfolio to show
    make_risk("A", p=4, i=4, rp=2, ri=3)
    make_risk("B", p=4, i=4, rp=2, ri=3, status="closed")
    home = client_for(executive).get(reverse("home")).content.decode()
    assert 'data-heat="residual-2-3" aria-label="1 risks' in home
