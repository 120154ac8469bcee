"""Planning objects for the permission registry's world (tests/core/test_permissions.py)."""

import datetime as dt

from portolan.planning.models import Baseline, PlanningInput, Scenario, ScoringModel, SelectionRule

CHANGE_PAYLOAD = {
    "planninginput": {"duration_months": 5},
    "scoringmodel": {"description": "Changed"},
    "selectionrule": {"note": "Changed"},
    "scenario": {"description": "Changed"},
    "baseline": {"note": "Changed"},
}


def planning_world(own_initiative, foreign_initiative) -> dict:
    """A plan of record plus a what-if ("foreign": any manager's object), inputs own and foreign."""
    Scenario.objects.create(name="World plan", start=dt.date(2027, 1, 1), is_plan_of_record=True)
    return {
        "planninginput": {
            "own": PlanningInput.objects.create(initiative=own_initiative, job_size=3),
            "foreign": PlanningInput.objects.create(initiative=foreign_initiative, job_size=5),
        },
        "scoringmodel": {"foreign": ScoringModel.objects.create(name="World model", kind="wsjf")},
        "selectionrule": {
            "foreign": SelectionRule.objects.create(
                initiative=own_initiative, kind="excludes", other=foreign_initiative
            )
        },
        "scenario": {"foreign": Scenario.objects.create(name="World what-if", start=dt.date(2027, 1, 1))},
        "baseline": {"foreign": Baseline.objects.create(name="World baseline", date=dt.date(2027, 1, 1))},
    }


def new_payload(model: str, own: bool, own_b, foreign_b, loose) -> dict:
    return {
        "planninginput": {"initiative": (own_b if own else foreign_b).pk, "duration_months": 3},
        "scoringmodel": {"name": "New model", "kind": "wsjf"},
        "selectionrule": {"initiative": own_b.pk, "kind": "requires", "other": loose.pk},
        "scenario": {"name": "New scenario"},
        "baseline": {"name": "New baseline"},
    }[model]


PLANNING_MODELS = tuple(CHANGE_PAYLOAD)
