"""Synthetic risk load data written with ``bulk_create`` (query-budget tests and benchmarks only).

Bypasses the audited services on purpose (throw-away data to measure pages). Needs the
synthetic portfolio of ``portolan.portfolio.scale`` (initiatives and teams with ``prefix``).
"""

import datetime as dt
import random

from django.db import transaction

from portolan.portfolio.models import Initiative, Team
from portolan.risks.models import MitigationAction, Risk, RiskScoreChange

BATCH = 1000


@transaction.atomic
def generate(
    risks: int = 2000, *, seed: int = 13, prefix: str = "SCL", as_of: dt.date = dt.date(2026, 11, 30)
) -> dict[str, int]:
    rng = random.Random(seed)
    teams = list(Team.objects.filter(code__startswith=f"{prefix}-").values_list("pk", flat=True))
    initiatives = list(Initiative.objects.filter(key__startswith=f"{prefix}-").values_list("pk", flat=True))
    categories = [c for c, _ in Risk.Category.choices]
    statuses = ["identified", "assessed", "treating", "treating", "monitoring", "closed"]
    rows = []
    for i in range(risks):
        p, imp = rng.randint(1, 5), rng.randint(1, 5)
        rp, ri = max(1, p - rng.randint(0, 2)), max(1, imp - rng.randint(0, 1))
        rows.append(
            Risk(
                key=f"{prefix}-R{i:05d}",
                title=f"Synthetic risk {i}",
                category=rng.choice(categories),
                probability=p,
                impact=imp,
                residual_probability=rp,
                residual_impact=ri,
                inherent_score=p * imp,
                residual_score=rp * ri,
                status=rng.choice(statuses),
                team_id=rng.choice(teams) if teams else None,
                review_date=as_of + dt.timedelta(days=rng.randint(-60, 90)),
            )
        )
    Risk.objects.bulk_create(rows, batch_size=BATCH)
    saved = list(Risk.objects.filter(key__startswith=f"{prefix}-R").order_by("key"))
    Links = Risk.initiatives.through
    links = [Links(risk_id=r.pk, initiative_id=rng.choice(initiatives)) for r in saved if initiatives]
    Links.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    history, actions = [], []
    for r in saved:
        for back in (300, 120):
            history.append(
                RiskScoreChange(
                    risk_id=r.pk,
                    date=as_of - dt.timedelta(days=back),
                    probability=r.probability,
                    impact=r.impact,
                    residual_probability=r.residual_probability,
                    residual_impact=r.residual_impact,
                    inherent_score=r.inherent_score,
                    residual_score=r.residual_score,
                )
            )
        for _ in range(rng.randint(0, 2)):
            actions.append(
                MitigationAction(
                    risk_id=r.pk,
                    title="Synthetic action",
                    due_date=as_of + dt.timedelta(days=rng.randint(-30, 60)),
                    status=rng.choice(["planned", "in_progress", "done"]),
                )
            )
    RiskScoreChange.objects.bulk_create(history, batch_size=BATCH)
    MitigationAction.objects.bulk_create(actions, batch_size=BATCH)
    return {"risks": len(saved), "score_changes": len(history), "actions": len(actions)}
