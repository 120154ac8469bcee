"""Demo planning data: score inputs for the demo initiatives, scoring models, a solved plan of
record and one baseline. Called at the end of :func:`portolan.portfolio.demo.load_demo`.
"""

import datetime as dt
import random

from portolan.core.audit import ChangeContext
from portolan.planning import services
from portolan.planning.models import PlanningInput, ScoringModel
from portolan.planning.problem import month_index
from portolan.portfolio.models import Initiative

FIBONACCI = (1, 2, 3, 5, 8, 13, 20)
STRATEGIC_FIT = [
    {"key": "value", "label": "Business value", "weight": 3, "scale_min": 1, "scale_max": 5},
    {"key": "urgency", "label": "Urgency", "weight": 2, "scale_min": 1, "scale_max": 5},
    {
        "key": "risk",
        "label": "Delivery risk",
        "weight": 1,
        "scale_min": 1,
        "scale_max": 5,
        "higher_is_better": False,
    },
]
# One improvement still at the idea or assessment stage is left without score inputs on
# purpose: the backlog lists it as missing, never as zero. (Work already under way is
# always scored: the plan of record must be able to keep it.)
NOT_YET_SCORED = ("idea", "assessment")


def load_planning_demo(ctx: ChangeContext, as_of: dt.date, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed)
    wsjf = services.save_scoring_model(
        ctx,
        None,
        {
            "name": "WSJF",
            "kind": ScoringModel.Kind.WSJF,
            "is_default": True,
            "description": "Cost of delay / job size.",
        },
    )
    services.save_scoring_model(
        ctx,
        None,
        {"name": "Strategic fit", "kind": ScoringModel.Kind.WEIGHTED, "criteria": STRATEGIC_FIT},
    )
    services.save_scoring_model(
        ctx, None, {"name": "Strategic alignment", "kind": ScoringModel.Kind.ALIGNMENT}
    )
    initiatives = Initiative.objects.exclude(kind=Initiative.Kind.PROGRAM).order_by("key")
    unscored = (
        initiatives.filter(kind=Initiative.Kind.IMPROVEMENT, stage__in=NOT_YET_SCORED)
        .values_list("key", flat=True)
        .last()
    )
    count = 0
    for initiative in initiatives:
        if initiative.key == unscored:
            continue
        data = {
            "business_value": rng.choice(FIBONACCI),
            "time_criticality": rng.choice(FIBONACCI),
            "risk_reduction": rng.choice(FIBONACCI),
            "job_size": rng.choice(FIBONACCI[1:]),
            "criteria": {"value": rng.randint(1, 5), "urgency": rng.randint(1, 5), "risk": rng.randint(1, 5)},
        }
        if initiative.planned_start and initiative.planned_finish:
            data["duration_months"] = month_index(initiative.planned_start, initiative.planned_finish) + 1
        if initiative.kind == Initiative.Kind.RUN:
            data.update(mandatory=PlanningInput.Mandatory.RUN, mandatory_reason="Keeps production running.")
        elif initiative.key == "INF-008":
            data.update(
                mandatory=PlanningInput.Mandatory.REGULATORY,
                mandatory_reason="NIS2: multi-factor authentication for all workforce accounts.",
            )
        if initiative.planned_finish and rng.random() < 0.15 and initiative.stage != "in_progress":
            data["deadline"] = initiative.planned_finish + dt.timedelta(days=90)
        services.save_planning_input(ctx, initiative, data)
        count += 1
    first = Initiative.objects.filter(key="INF-012").first()
    if first is not None:
        services.set_manual_rank(
            ctx, first, 1, "Landing zone unblocks every cloud migration: agreed at the steering committee."
        )
    start = as_of.replace(day=1)
    budgets = {
        str(start.year + n): {"capex": capex, "opex": opex}
        for n, (capex, opex) in enumerate(
            [(6_000_000, 2_500_000), (5_000_000, 2_500_000), (4_000_000, 2_000_000)]
        )
    }
    plan = services.create_scenario(
        ctx,
        {
            "name": "Plan of record",
            "description": "The approved roadmap.",
            "scoring_model": wsjf,
            "start": start,
            "horizon_months": 36,
            "budgets": budgets,
        },
    )
    services.solve_scenario(ctx, plan)
    services.capture_baseline(
        ctx, {"name": f"Baseline {as_of:%Y-%m}", "date": as_of, "note": "Demo baseline."}
    )
    return {"planning_inputs": count, "scenarios": 1, "baselines": 1}
