"""Synthetic KPI load data written with ``bulk_create`` (query-budget tests and benchmarks only).

Like ``portolan.portfolio.scale`` it bypasses the audited services on purpose: throw-away
data to measure pages, never real data.
"""

import datetime as dt
import random

from django.db import transaction

from portolan.engine.kpi import Period
from portolan.kpis.models import Kpi, Measurement

BATCH = 1000


@transaction.atomic
def generate(
    measurements: int = 50_000,
    kpis: int = 250,
    *,
    seed: int = 11,
    prefix: str = "SCL",
    as_of: dt.date = dt.date(2026, 11, 30),
    on_dashboard: int = 8,
) -> dict[str, int]:
    """``kpis`` monthly KPIs sharing ``measurements`` values, the latest in the month of ``as_of``."""
    rng = random.Random(seed)
    rows = Kpi.objects.bulk_create(
        [
            Kpi(
                code=f"{prefix}-K{i:04d}",
                name=f"Synthetic KPI {i}",
                target=95.0,
                amber=90.0,
                red=85.0,
                unit="%",
                frequency="month",
                category="Synthetic",
                on_dashboard=i < on_dashboard,
            )
            for i in range(kpis)
        ],
        batch_size=BATCH,
    )
    per_kpi, extra = divmod(measurements, kpis)
    last = Period.containing("month", as_of)
    values = []
    for index, kpi in enumerate(rows):
        count = per_kpi + (1 if index < extra else 0)
        for k in range(count):
            period = last.shift(k - count + 1)
            values.append(
                Measurement(
                    kpi=kpi,
                    period=period.label,
                    period_start=period.start,
                    period_end=period.end,
                    value=round(rng.uniform(80, 100), 2),
                    source="import",
                )
            )
    Measurement.objects.bulk_create(values, batch_size=BATCH)
    return {"kpis": kpis, "measurements": len(values)}
