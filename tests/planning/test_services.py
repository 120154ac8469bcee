"""Planning use cases against the database: solve, promote, infeasibility, missing estimates, ranks."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.planning import services
from portolan.planning.models import Baseline, PlanningInput, Scenario, SelectionRule
from portolan.portfolio.models import Dependency, Effort
from tests.conftest import last_audit
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def ctx_of(user, reason=""):
    return ChangeContext(user=user, reason=reason)


def test_solving_a_scenario_stores_selection_frontier_and_schedule(plan, manager):
    scenario = services.solve_scenario(ctx_of(manager), plan["scenario"])

    assert scenario.status == Scenario.Status.SOLVED and scenario.solved_at is not None
    results = Scenario.objects.get(pk=scenario.pk).results
    selection = results["selection"]
    assert set(selection["selected"]) == {"NET-001", "NET-002"}  # 250k budget: the best two of three
    assert selection["reasons_not_selected"]["NET-003"] == ["would exceed capex 2027"]
    assert selection["limiting"][0]["name"] == "capex 2027"
    assert selection["gain_over_greedy"] >= 0
    assert len([p for p in results["frontier"] if p["value"] is not None]) >= 10
    values = [p["value"] for p in results["frontier"] if p["value"] is not None]
    assert values == sorted(values)  # more budget never buys less value
    items = {i["key"]: i for i in results["schedule"]["items"]}
    assert items["NET-002"]["start"] >= items["NET-001"]["start"] + 4  # waits for its predecessor
    assert "NET-002" in results["schedule"]["critical_chain"]
    assert {r["team"] for r in results["schedule"]["load"]} == {"NET"}
    assert results["milestones"][0]["initiative"] == "NET-002"
    entry = last_audit(scenario)
    assert entry.action == AuditEntry.Action.UPDATE and entry.actor == manager
    assert entry.after["status"] == "solved" and entry.before["status"] == "draft"


def test_infeasible_scenario_is_explained_naming_the_conflict(plan, manager):
    scenario = plan["scenario"]
    scenario.forced_in.set([plan["a"], plan["b"], plan["c"]])

    scenario = services.solve_scenario(ctx_of(manager), scenario)

    assert scenario.status == Scenario.Status.INFEASIBLE
    conflict = scenario.results["conflicts"][0]
    assert conflict["kind"] == "budget" and conflict["constraint"] == "capex 2027"
    assert "NET-003" in conflict["message"] and "capex budget" in conflict["message"]
    assert any(m["level"] == "error" and "forced" in m["text"] for m in scenario.results["messages"])


def test_missing_estimates_are_listed_not_taken_as_zero(plan, manager, team):
    unsized = InitiativeFactory(key="NET-004", title="No size yet", team=team)
    PlanningInput.objects.create(
        initiative=unsized, business_value=20, time_criticality=20, risk_reduction=20
    )
    Effort.objects.create(initiative=unsized, team=team, person_days=10)
    no_effort = InitiativeFactory(key="NET-005", title="No effort yet", team=team)
    PlanningInput.objects.create(
        initiative=no_effort, business_value=1, time_criticality=1, risk_reduction=1, job_size=1
    )

    results = services.solve_scenario(ctx_of(manager), plan["scenario"]).results

    missing = {m["key"]: m["missing"] for m in results["missing"]}
    assert missing["NET-004"] == ["score: job_size"]
    assert missing["NET-005"] == ["effort per team"]
    assert "NET-004" not in results["selection"]["selected"] + results["selection"]["not_selected"]
    assert "NET-005" not in results["scores"] or "NET-005" not in results["selection"]["selected"]


def test_manual_rank_override_is_audited_with_its_reason(plan, contributor):
    from portolan.planning.scoring import ranked_backlog
    from portolan.portfolio.models import Initiative

    services.set_manual_rank(ctx_of(contributor), plan["b"], 1, "Contractual go-live with the branches")

    entry = last_audit(plan["b"].planning)
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.reason == "Contractual go-live with the branches"
    assert entry.after["manual_rank"] == 1 and entry.actor == contributor
    ranked, _ = ranked_backlog(Initiative.objects.filter(key__startswith="NET"), plan["model"])
    assert [r.initiative.key for r in ranked][:2] == ["NET-002", "NET-001"]
    assert ranked[0].manual and ranked[0].score_rank == 2


def test_manual_rank_without_a_reason_is_refused(plan, manager):
    with pytest.raises(ValidationError):
        services.set_manual_rank(ctx_of(manager), plan["b"], 1, "  ")


def test_contributor_may_not_rank_another_teams_initiative(plan, contributor, foreign_initiative):
    with pytest.raises(PermissionDenied):
        services.set_manual_rank(ctx_of(contributor), foreign_initiative, 1, "mine now")


def test_promote_is_audited_and_keeps_exactly_one_plan_of_record(plan, manager):
    lean = services.create_scenario(ctx_of(manager), {"name": "Lean"})
    assert lean.based_on == plan["scenario"] and lean.budgets == plan["scenario"].budgets
    assert not lean.is_plan_of_record
    with pytest.raises(ValidationError):
        services.promote_scenario(ctx_of(manager), lean)  # not solved yet
    services.solve_scenario(ctx_of(manager), lean)

    services.promote_scenario(ctx_of(manager), lean, "Board approved the lean plan")

    assert list(Scenario.objects.filter(is_plan_of_record=True)) == [lean]
    promoted, demoted = last_audit(lean), last_audit(plan["scenario"])
    assert promoted.after["is_plan_of_record"] is True and promoted.reason == "Board approved the lean plan"
    assert demoted.before["is_plan_of_record"] is True and demoted.after["is_plan_of_record"] is False


def test_only_managers_create_and_promote_scenarios(plan, contributor, executive):
    for user in (contributor, executive):
        with pytest.raises(PermissionDenied):
            services.create_scenario(ctx_of(user), {"name": "Mine"})
        with pytest.raises(PermissionDenied):
            services.promote_scenario(ctx_of(user), plan["scenario"])


def test_create_scenario_is_audited(plan, manager):
    scenario = services.create_scenario(
        ctx_of(manager), {"name": "Capacity cut", "capacity_factors": {"NET": 0.5}}
    )
    entry = last_audit(scenario)
    assert entry.action == AuditEntry.Action.CREATE and entry.after["capacity_factors"] == {"NET": 0.5}


def test_changing_a_solved_scenario_marks_it_stale(plan, manager):
    scenario = services.solve_scenario(ctx_of(manager), plan["scenario"])
    scenario = services.update_scenario(ctx_of(manager), scenario, {"budgets": {"2027": {"capex": 400000}}})
    assert scenario.status == Scenario.Status.STALE
    assert last_audit(scenario).after["budgets"] == {"2027": {"capex": 400000}}


def test_requires_rule_closing_a_cycle_is_refused(plan, manager):
    services.add_selection_rule(
        ctx_of(manager), {"initiative": plan["a"], "kind": "requires", "other": plan["c"]}
    )
    assert last_audit(SelectionRule.objects.get()).action == AuditEntry.Action.CREATE
    with pytest.raises(ValidationError, match="cycle: NET-003 requires NET-001 requires NET-003"):
        services.add_selection_rule(
            ctx_of(manager), {"initiative": plan["c"], "kind": "requires", "other": plan["a"]}
        )


def test_a_dependency_cycle_in_the_data_is_refused_with_the_cycle_named(plan, manager):
    Dependency.objects.create(
        predecessor=plan["b"], successor=plan["a"], hard=True
    )  # imported, not validated

    scenario = services.solve_scenario(ctx_of(manager), plan["scenario"])

    assert scenario.status == Scenario.Status.INFEASIBLE
    assert any("dependency cycle" in m["text"] for m in scenario.results["messages"])
    assert scenario.results["schedule"] is None


def test_capacity_cut_delays_work_and_says_why(plan, manager):
    c = plan["c"]
    c.planned_start, c.planned_finish = dt.date(2027, 7, 1), dt.date(2027, 10, 31)
    c.save()
    Effort.objects.filter(initiative=c).update(person_days=400)  # 100 pd a month: all of NET at half capacity
    scenario = plan["scenario"]
    services.update_scenario(
        ctx_of(manager), scenario, {"capacity_factors": {"NET": 0.5}, "budgets": {"2027": {"capex": 400000}}}
    )

    results = services.solve_scenario(ctx_of(manager), scenario).results

    assert len(results["selection"]["selected"]) == 3
    reasons = [r for i in results["schedule"]["items"] for r in i["reasons"]]
    assert any("NET capacity" in r for r in reasons), reasons


def test_baseline_variance_shows_slip_per_initiative_and_milestone(plan, manager):
    scenario = services.solve_scenario(ctx_of(manager), plan["scenario"])
    baseline = services.capture_baseline(
        ctx_of(manager), {"name": "Q1 baseline", "date": dt.date(2027, 1, 2)}
    )
    assert last_audit(baseline).action == AuditEntry.Action.CREATE
    assert set(baseline.snapshot["initiatives"]) >= {"NET-001", "NET-002"}

    services.update_scenario(
        ctx_of(manager), scenario, {"date_overrides": {"NET-001": {"earliest_start": "2027-04-01"}}}
    )
    services.solve_scenario(ctx_of(manager), scenario)
    variance = services.variance(Baseline.objects.get())

    slip = {r["key"]: r["slip_days"] for r in variance["initiatives"]}
    assert slip["NET-001"] > 0 and slip["NET-002"] > 0
    go_live = next(r for r in variance["milestones"] if r["key"] == "NET-002 · Go-live")
    assert go_live["slip_days"] > 0


def test_contributor_saves_planning_inputs_of_their_own_initiative(plan, contributor, foreign_initiative):
    saved = services.save_planning_input(ctx_of(contributor), plan["a"], {"duration_months": 6})
    assert saved.duration_months == 6
    assert last_audit(saved).after["duration_months"] == 6
    created = services.save_planning_input(
        ctx_of(contributor), plan["a"], {"deadline": dt.date(2027, 12, 31)}
    )
    assert created.pk == saved.pk
    with pytest.raises(PermissionDenied):
        services.save_planning_input(ctx_of(contributor), foreign_initiative, {"duration_months": 2})


def test_mandatory_needs_a_reason(plan, manager):
    with pytest.raises(ValidationError, match="mandatory"):
        services.save_planning_input(ctx_of(manager), plan["c"], {"mandatory": "regulatory"})


def test_scenario_solve_command_solves_by_name(plan, capsys):
    call_command("scenario", "solve", "Plan of record", "--no-frontier")
    assert "value" in capsys.readouterr().out
    scenario = Scenario.objects.get()
    assert scenario.status == Scenario.Status.SOLVED
    assert last_audit(scenario).source == AuditEntry.Source.CLI
    with pytest.raises(CommandError, match="No scenario named"):
        call_command("scenario", "solve", "Nope")
