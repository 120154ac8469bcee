"""A small plan: three network initiatives competing for one 2027 capex budget."""

import datetime as dt
from decimal import Decimal

import pytest

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.planning import services
from portolan.planning.models import PlanningInput, ScoringModel
from portolan.portfolio.models import Dependency, Effort, Milestone
from tests.factories import InitiativeFactory

START = dt.date(2027, 1, 1)


@pytest.fixture
def system_ctx():
    return ChangeContext(user=None, source=AuditEntry.Source.SYSTEM)


def inputs(initiative, bv=8, tc=5, rr=3, size=5, months=4, **extra):
    return PlanningInput.objects.create(
        initiative=initiative,
        business_value=bv,
        time_criticality=tc,
        risk_reduction=rr,
        job_size=size,
        duration_months=months,
        **extra,
    )


@pytest.fixture
def plan(db, team, own_initiative, system_ctx):
    """NET-001 (own) -> NET-002 hard FS; NET-003 independent. 100k capex and 200 pd of NET each;
    250k capex budget in 2027, NET has 200 pd a month."""
    team.capacity_pd_per_month = Decimal("200")
    team.save()
    a = own_initiative
    a.budget_capex = Decimal("100000")
    a.save()
    b = InitiativeFactory(key="NET-002", title="Branch firewalls", team=team, budget_capex=Decimal("100000"))
    c = InitiativeFactory(key="NET-003", title="Wi-Fi refresh", team=team, budget_capex=Decimal("100000"))
    for initiative, bv in ((a, 13), (b, 8), (c, 3)):
        inputs(initiative, bv=bv)
        Effort.objects.create(initiative=initiative, team=team, person_days=Decimal("200"))
    Dependency.objects.create(predecessor=a, successor=b, type="FS", hard=True)
    Milestone.objects.create(
        initiative=b, name="Go-live", planned_date=dt.date(2027, 6, 15), key_milestone=True
    )
    model = ScoringModel.objects.create(name="WSJF", kind=ScoringModel.Kind.WSJF, is_default=True)
    scenario = services.create_scenario(
        system_ctx,
        {
            "name": "Plan of record",
            "start": START,
            "horizon_months": 24,
            "scoring_model": model,
            "budgets": {"2027": {"capex": 250000, "opex": 0}},
        },
    )
    return {"a": a, "b": b, "c": c, "scenario": scenario, "model": model, "team": team}
