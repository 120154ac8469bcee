"""KPI use cases: the catalogue, measurements (by hand, file, API, computed) and evaluation.

Pages, the API, the importer and the CLI all call these functions; the engine
(``portolan.engine.kpi``, ``evm``, ``kpi_library``) does the arithmetic.
"""

import csv
import datetime as dt
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from portolan.core import services
from portolan.core.audit import ChangeContext
from portolan.core.roles import CHANGE
from portolan.engine import evm
from portolan.engine import kpi as engine
from portolan.engine.kpi_library import STANDARD_KPIS, KpiDefinition
from portolan.kpis.models import Kpi, Measurement, resolve_period
from portolan.portfolio.models import Initiative, Milestone, StatusUpdate

# Portolan-specific KPIs computed from the portfolio, in addition to the standard library.
PORTFOLIO_KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        code="MS_SLIP",
        name="Milestone slippage",
        description="Average delay of the milestones due in the period against their baseline date.",
        formula="mean(actual or planned date - baseline date) over milestones due in the period, in days",
        unit="days",
        direction="lower_is_better",
        target=0.0,
        amber=7.0,
        red=21.0,
        frequency="month",
        category="Delivery",
        source="computed",
        reference="Portolan portfolio data",
    ),
)
LIBRARY: tuple[KpiDefinition, ...] = STANDARD_KPIS + PORTFOLIO_KPIS
# Shown on the executive dashboard after `load-library` (editable per KPI).
DASHBOARD_CODES = ("INIT_ONTRACK", "SPI", "CPI", "MS_ONTIME", "AVAIL", "MTTR", "CHG_SUCCESS", "PATCH_COMPL")
TREND_WINDOW = 6
HISTORY_PERIODS = 12


# ------------------------------------------------------------------------------ catalogue


@transaction.atomic
def load_library(ctx: ChangeContext, owner=None, team=None) -> dict[str, int]:
    """Add the standard KPIs missing from the catalogue; existing KPIs keep their local settings."""
    existing = set(Kpi.objects.values_list("code", flat=True))
    created = 0
    for definition in LIBRARY:
        if definition.code in existing:
            continue
        services.create(ctx, Kpi, {**library_fields(definition), "owner": owner, "team": team})
        created += 1
    return {"created": created, "kept": len(LIBRARY) - created}


def library_fields(definition: KpiDefinition) -> dict:
    return {
        "code": definition.code,
        "name": definition.name,
        "description": definition.description,
        "formula": definition.formula,
        "unit": definition.unit,
        "direction": definition.direction,
        "target": definition.target,
        "amber": definition.amber,
        "red": definition.red,
        "frequency": definition.frequency,
        "category": definition.category,
        "source": definition.source,
        "reference": definition.reference,
        "on_dashboard": definition.code in DASHBOARD_CODES,
    }


# ---------------------------------------------------------------------------- measurements


def _period_data(kpi: Kpi, period_text) -> dict:
    period = resolve_period(kpi, period_text)
    return {"period": period.label, "period_start": period.start, "period_end": period.end}


def _check_value(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({"value": f"'{value}' is not a number."}) from None
    if not math.isfinite(number):
        raise ValidationError({"value": f"'{value}' is not a finite number."})
    return number


@transaction.atomic
def add_measurement(
    ctx: ChangeContext, data: Mapping, source: str = Measurement.Source.MANUAL
) -> Measurement:
    """Record a KPI value for a period (the period must match the KPI's frequency)."""
    kpi = data.get("kpi")
    if not isinstance(kpi, Kpi):
        raise ValidationError({"kpi": "Choose a KPI from the catalogue."})
    payload = {
        "kpi": kpi,
        "value": _check_value(data.get("value")),
        "note": data.get("note", "") or "",
        "source": source,
        "entered_by": ctx.user if getattr(ctx.user, "is_authenticated", False) else None,
        **_period_data(kpi, data.get("period", "")),
    }
    return services.create(ctx, Measurement, payload)


@transaction.atomic
def update_measurement(ctx: ChangeContext, measurement: Measurement, data: Mapping) -> Measurement:
    kpi = data.get("kpi", measurement.kpi)
    payload = {"kpi": kpi, **_period_data(kpi, data.get("period", measurement.period))}
    if "value" in data:
        payload["value"] = _check_value(data["value"])
    if "note" in data:
        payload["note"] = data["note"] or ""
    return services.update(ctx, measurement, payload)


@transaction.atomic
def set_measurement(
    ctx: ChangeContext, kpi: Kpi, period: str, value: float, source: str, note: str = ""
) -> Measurement:
    """Create or replace the value of a KPI for a period (imports and computed KPIs)."""
    start = resolve_period(kpi, period).start
    existing = Measurement.objects.filter(kpi=kpi, period_start=start).first()
    if existing is None:
        return add_measurement(
            ctx, {"kpi": kpi, "period": period, "value": value, "note": note}, source=source
        )
    payload = {"value": _check_value(value), "source": source}
    if note:
        payload["note"] = note
    return services.update(ctx, existing, payload)


IMPORT_COLUMNS = ("kpi", "period", "value")


def parse_measurement_file(name: str, content: bytes) -> list[dict]:
    """Rows of a CSV or XLSX file with the columns kpi, period, value (and optional note)."""
    lower = name.lower()
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook
            raise ValidationError(
                f"The file is not a readable XLSX workbook ({exc.__class__.__name__})."
            ) from None
        rows = [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]
    elif lower.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError("The CSV file is not UTF-8 text.") from None
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t") if text.strip() else csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
    else:
        raise ValidationError("Upload a .csv or .xlsx file.")
    rows = [r for r in rows if any(str(c).strip() for c in r)]
    if not rows:
        raise ValidationError(
            "The file is empty: it needs a header row (kpi, period, value, note) and values."
        )
    header = [str(c).strip().lower() for c in rows[0]]
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            f"The header row lacks the column(s) {', '.join(missing)}; "
            "expected kpi, period, value and optionally note."
        )
    out = []
    for number, row in enumerate(rows[1:], start=2):
        cells = dict(zip(header, row, strict=False))
        out.append(
            {
                "row": number,
                "kpi": str(cells.get("kpi", "")).strip(),
                "period": _period_text(cells.get("period", "")),
                "value": cells.get("value", ""),
                "note": str(cells.get("note", "") or "").strip()[:300],
            }
        )
    return out


def _period_text(value) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


@transaction.atomic
def import_measurements(ctx: ChangeContext, rows: Iterable[Mapping]) -> dict[str, int]:
    """Validate every row, then write them all (or nothing): unknown KPIs, bad periods, bad values,
    duplicates and KPIs the user may not change are reported by row number."""
    rows = list(rows)
    kpis = {k.code.upper(): k for k in Kpi.objects.select_related("team")}
    errors, ready, seen = [], [], {}
    for row in rows:
        number = row.get("row", "?")
        code = str(row.get("kpi", "")).strip()
        kpi = kpis.get(code.upper())
        if kpi is None:
            errors.append(f"Row {number}: unknown KPI '{code}' (not in the catalogue).")
            continue
        if ctx.user is not None and not kpi.user_can(ctx.user, CHANGE):
            errors.append(f"Row {number}: you may not record values for {kpi.code}.")
            continue
        try:
            period = resolve_period(kpi, row.get("period", ""))
            value = _check_value(row.get("value"))
        except ValidationError as exc:
            errors.append(f"Row {number}: {' '.join(exc.messages)}")
            continue
        key = (kpi.pk, period.start)
        if key in seen:
            errors.append(f"Row {number}: {kpi.code} {period.label} is also on row {seen[key]}.")
            continue
        seen[key] = number
        ready.append((kpi, period.label, value, row.get("note", "")))
    if not rows:
        errors.append("The file has no measurement rows.")
    if errors:
        raise ValidationError(errors)
    existing = set(
        Measurement.objects.filter(kpi__in={k for k, *_ in ready}).values_list("kpi_id", "period_start")
    )
    created = replaced = 0
    for kpi, period, value, note in ready:
        if (kpi.pk, resolve_period(kpi, period).start) in existing:
            replaced += 1
        else:
            created += 1
        set_measurement(ctx, kpi, period, value, Measurement.Source.IMPORT, note)
    return {"created": created, "replaced": replaced}


# ------------------------------------------------------------------------------ evaluation


@dataclass
class KpiStatus:
    """A KPI as the dashboard and the catalogue show it, at ``as_of``."""

    kpi: Kpi
    as_of: dt.date
    series: list[tuple[str, float]] = field(default_factory=list)  # (period label, value), oldest first
    last_period: str | None = None
    last_value: float | None = None
    last_start: dt.date | None = None
    last_end: dt.date | None = None
    status: str = ""
    trend: engine.Trend | None = None
    forecast: str | None = None
    stale: bool = True

    @property
    def trend_label(self) -> str:
        if self.trend is None or self.trend.direction == "insufficient_data":
            return "not enough data"
        return self.trend.direction

    @property
    def trend_arrow(self) -> str:
        return {"improving": "↗", "worsening": "↘", "flat": "→"}.get(self.trend_label, "·")

    @property
    def forecast_label(self) -> str:
        if self.last_value is None:
            return "no data"
        if (
            self.status == "green"
            and self.forecast == self.last_period
            and engine.meets_target(self.kpi.thresholds, self.last_value)
        ):
            return "target met"
        return f"target by {self.forecast}" if self.forecast else "target not in sight at this trend"


def _window_start(frequency: str, as_of: dt.date, periods: int) -> dt.date:
    return engine.Period.containing(frequency, as_of).shift(-(periods - 1)).start


def evaluate(kpis: Iterable[Kpi], as_of: dt.date, periods: int = HISTORY_PERIODS) -> list[KpiStatus]:
    """Evaluate many KPIs at ``as_of`` with one query: RAG, trend, forecast, staleness, sparkline."""
    kpis = list(kpis)
    if not kpis:
        return []
    query = Q()
    for frequency in {k.frequency for k in kpis}:
        ids = [k.pk for k in kpis if k.frequency == frequency]
        query |= Q(kpi_id__in=ids, period_start__gte=_window_start(frequency, as_of, periods))
    rows = defaultdict(list)
    for kpi_id, period, start, end, value in (
        Measurement.objects.filter(query, period_start__lte=as_of)
        .order_by("kpi_id", "period_start")
        .values_list("kpi_id", "period", "period_start", "period_end", "value")
    ):
        rows[kpi_id].append((period, start, end, value))
    return [evaluate_one(k, rows.get(k.pk, []), as_of) for k in kpis]


def evaluate_one(kpi: Kpi, rows: list[tuple], as_of: dt.date) -> KpiStatus:
    """``rows``: (period label, start, end, value) oldest first."""
    status = KpiStatus(kpi=kpi, as_of=as_of, series=[(r[0], r[3]) for r in rows])
    if rows:
        period, start, end, value = rows[-1]
        thresholds = kpi.thresholds
        values = [r[3] for r in rows]
        status.last_period, status.last_value, status.last_start, status.last_end = period, value, start, end
        status.status = engine.evaluate(thresholds, value)
        status.trend = engine.trend(values, kpi.direction, window=TREND_WINDOW)
        forecast = engine.forecast_target_period(
            values, engine.Period(kpi.frequency, start), thresholds, window=TREND_WINDOW
        )
        status.forecast = forecast.label if forecast else None
        status.stale = engine.is_stale(end, kpi.frequency, as_of)
    return status


# ------------------------------------------------------------------ portfolio (computed) KPIs


@dataclass(frozen=True)
class PortfolioEvm:
    """Earned value over the initiatives that have a budget and dates (as of a date)."""

    as_of: dt.date
    initiatives: int
    bac: float
    pv: float
    ev: float
    ac: float
    result: evm.EarnedValue | None


def planned_fraction(start: dt.date | None, finish: dt.date | None, as_of: dt.date) -> float | None:
    """Share of the planned duration elapsed at ``as_of`` (linear plan)."""
    if start is None or finish is None:
        return None
    if as_of <= start:
        return 0.0
    if as_of >= finish:
        return 1.0
    return (as_of - start).days / max(1, (finish - start).days)


def portfolio_evm(initiatives, as_of: dt.date) -> PortfolioEvm:
    """EVM summed over initiatives with a budget, planned dates and progress (programs excluded:
    they roll up their projects). PV assumes a linear plan between planned start and finish."""
    bac = pv = ev = ac = 0.0
    count = 0
    rows = (
        initiatives.exclude(kind=Initiative.Kind.PROGRAM)
        .exclude(stage__in=["cancelled", "idea"])
        .values_list(
            "budget_capex", "budget_opex", "actual_cost", "progress", "planned_start", "planned_finish"
        )
    )
    for capex, opex, actual, progress, start, finish in rows:
        budget = float(capex + opex)
        fraction = planned_fraction(start, finish, as_of)
        if budget <= 0 or fraction is None:
            continue
        count += 1
        bac += budget
        pv += budget * fraction
        ev += budget * min(progress, 100) / 100
        ac += float(actual)
    result = evm.earned_value(bac, pv, ev, ac) if count else None
    return PortfolioEvm(as_of, count, bac, pv, ev, ac, result)


def share_on_track(initiatives, as_of: dt.date) -> tuple[int, int] | None:
    """(green, rated) over active initiatives, from the latest status update of each on or before as_of."""
    latest: dict[int, str] = {}
    for initiative_id, overall in (
        StatusUpdate.objects.filter(
            initiative__in=initiatives.exclude(stage__in=["cancelled", "done"]), date__lte=as_of
        )
        .order_by("initiative_id", "date", "pk")
        .values_list("initiative_id", "overall")
    ):
        latest[initiative_id] = overall
    if not latest:
        return None
    return sum(1 for v in latest.values() if v == "green"), len(latest)


def milestone_figures(initiatives, start: dt.date, end: dt.date, as_of: dt.date) -> dict:
    """Hit rate (achieved by the baseline date) and average slip of milestones due in [start, end]."""
    rows = (
        Milestone.objects.filter(
            initiative__in=initiatives, baseline_date__gte=start, baseline_date__lte=min(end, as_of)
        )
        .exclude(status=Milestone.Status.CANCELLED)
        .values_list("baseline_date", "planned_date", "actual_date", "status")
    )
    due = hit = 0
    slips = []
    for baseline, planned, actual, status in rows:
        due += 1
        if status == Milestone.Status.ACHIEVED and actual is not None and actual <= baseline:
            hit += 1
        reached = actual if status == Milestone.Status.ACHIEVED and actual else max(planned, as_of)
        slips.append(max(0, (reached - baseline).days))
    return {"due": due, "hit": hit, "slip": (sum(slips) / len(slips)) if slips else None}


def portfolio_kpi_values(initiatives, period: engine.Period, as_of: dt.date) -> dict[str, float]:
    """Values of the computed portfolio KPIs for one month (only those computable)."""
    end = min(period.end, as_of)
    values: dict[str, float] = {}
    track = share_on_track(initiatives, end)
    if track and track[1]:
        values["INIT_ONTRACK"] = round(100 * track[0] / track[1], 1)
    ms = milestone_figures(initiatives, period.start, period.end, as_of)
    if ms["due"]:
        values["MS_ONTIME"] = round(100 * ms["hit"] / ms["due"], 1)
        values["MS_SLIP"] = round(ms["slip"], 1)
    if period.start <= as_of <= period.end:  # cost and progress exist only as of today
        figures = portfolio_evm(initiatives, as_of)
        result = figures.result
        if result is not None:
            if result.spi is not None:
                values["SPI"] = round(result.spi, 3)
            if result.cpi is not None:
                values["CPI"] = round(result.cpi, 3)
            if figures.pv > 0:
                values["BUDGET_VAR"] = round(abs(figures.ac - figures.pv) / figures.pv * 100, 1)
    return values


@transaction.atomic
def compute_portfolio_kpis(
    ctx: ChangeContext, as_of: dt.date, months: int = 1
) -> dict[str, dict[str, float]]:
    """Compute the portfolio KPIs for the last ``months`` months and store them as measurements."""
    kpis = {k.code: k for k in Kpi.objects.filter(code__in=[*COMPUTED_CODES])}
    initiatives = Initiative.objects.all()
    current = engine.Period.containing("month", as_of)
    out = {}
    for back in range(months - 1, -1, -1):
        period = current.shift(-back)
        values = portfolio_kpi_values(initiatives, period, as_of)
        for code, value in values.items():
            if code in kpis and kpis[code].frequency == "month":
                set_measurement(ctx, kpis[code], period.label, value, Measurement.Source.COMPUTED)
        out[period.label] = values
    return out


COMPUTED_CODES = ("INIT_ONTRACK", "MS_ONTIME", "MS_SLIP", "SPI", "CPI", "BUDGET_VAR")


def can_record(user, kpi: Kpi) -> bool:
    return kpi.user_can(user, CHANGE)


def require_change(user, kpi: Kpi) -> None:
    if user is not None and not kpi.user_can(user, CHANGE):
        raise PermissionDenied(f"You may not record values for {kpi.code}.")
