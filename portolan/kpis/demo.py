"""Demo KPIs: the standard library with owners, 12 months of values, the portfolio KPIs computed.

Deterministic for a given ``as_of`` and seed; written through the services (audited).
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model

from portolan.core import services as core
from portolan.core.audit import ChangeContext
from portolan.engine import kpi as engine
from portolan.kpis import services
from portolan.kpis.models import Kpi, Measurement
from portolan.portfolio.models import Team

# Which team (and its lead) owns which category of KPI in the demo.
CATEGORY_TEAM = {
    "Availability": "NET",
    "Security": "SEC",
    "DORA": "CLD",
    "Capacity": "CMP",
    "Resilience": "STO",
    "Incident management": "SD",
    "Service desk": "SD",
    "Service level": "SD",
    "Change enablement": "CMP",
}
# Left without recent values on purpose: the dashboard shows them as stale.
STALE = {"MTBF", "INC_VOLUME"}
EVM_HISTORY = {"SPI": (0.97, 0.03), "CPI": (0.95, 0.03), "BUDGET_VAR": (7.0, 2.5)}


def load_kpis(ctx: ChangeContext, as_of: dt.date, seed: int = 2026) -> dict[str, int]:
    rng = random.Random(seed + 1)
    pmo = get_user_model().objects.filter(username="pmo").first()
    services.load_library(ctx, owner=pmo)
    teams = {t.code: t for t in Team.objects.select_related("lead")}
    for kpi in Kpi.objects.order_by("code"):
        team = teams.get(CATEGORY_TEAM.get(kpi.category, ""))
        if team is not None:
            core.update(ctx, kpi, {"team": team, "owner": team.lead or pmo})
    source_ctx = ChangeContext(
        user=None, source=ctx.source, request_id=ctx.request_id, reason="demo KPI history"
    )
    for kpi in Kpi.objects.order_by("code"):
        if kpi.code in services.COMPUTED_CODES and kpi.code not in EVM_HISTORY:
            continue
        _history(source_ctx, kpi, as_of, rng)
    services.compute_portfolio_kpis(ctx, as_of, months=12)
    return {"kpis": Kpi.objects.count(), "measurements": Measurement.objects.count()}


def _periods(kind: str, as_of: dt.date) -> list[engine.Period]:
    last = engine.Period.containing(kind, as_of)
    count = {"week": 52, "month": 12, "quarter": 4, "day": 90}[kind]
    return [last.shift(-k) for k in range(count - 1, -1, -1)]


def _history(ctx: ChangeContext, kpi: Kpi, as_of: dt.date, rng: random.Random) -> None:
    """A random walk from a start level towards (or away from) the target."""
    periods = _periods(kpi.frequency, as_of)
    if kpi.code in STALE:
        periods = periods[: max(1, len(periods) - (3 if kpi.frequency == "month" else 2))]
    spread = abs(kpi.red - kpi.target) or max(1.0, abs(kpi.target) * 0.1)
    if kpi.code in EVM_HISTORY:
        level, noise = EVM_HISTORY[kpi.code]
        periods = periods[:-1]  # the current month is computed from the portfolio
    else:
        better = 1 if kpi.direction == "higher_is_better" else -1
        mood = rng.choice([-0.6, 0.3, 0.6, 1.0, 1.2])  # how far from target the KPI starts
        level = kpi.target - better * spread * mood
        noise = spread * 0.15
    drift = rng.choice([-1, 1, 1, 2]) * (spread / 40) * (1 if kpi.direction == "higher_is_better" else -1)
    ceiling = 100.0 if kpi.unit == "%" else None
    for period in periods:
        level += drift
        value = level + rng.gauss(0, noise)
        value = max(0.0, value if ceiling is None else min(ceiling, value))
        services.add_measurement(
            ctx,
            {"kpi": kpi, "period": period.label, "value": round(value, 3), "note": ""},
            source=Measurement.Source.IMPORT,
        )
