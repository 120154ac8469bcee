"""Service-management KPIs of the catalogue computed from an incident event log, per period.

Pure Polars over the normalized frame of ``portolan.engine.eventlog`` (columns case, activity,
timestamp, resource, group, row and attributes). :func:`compute` returns, for each KPI code of
``portolan.engine.kpi_library`` the log supports, its value per period (week, month or quarter,
labelled like ``portolan.engine.kpi.Period``), and, for the others, why the log cannot feed them.

Per case (events sorted by timestamp, then row):

* **opened** — the first event's timestamp.
* **resolved** — the case's last event is a *resolving* activity (``resolved_pattern``, by default
  ``process.CLOSING_PATTERN``: resolved, closed, completed, cancelled). **resolved_at** is the first
  event of that final run of resolving events (after the last non-resolving one), so a ticket
  Resolved then Closed five days later counts as resolved at "Resolved", and a reopened ticket
  counts from its final resolution.
* **reopened** — it has the ``reopen_activity``, or, without one, a non-resolving event after a
  resolving one (the rule of ``process.reopens``).
* **reassigned** — it was handled by more than one (non-null) group, i.e. ≥ 1 group change.
* **met** — its SLA outcome: the last value of ``sla_met_attribute`` (true/1/yes) when the log
  has it, else ``resolved_at - opened <= sla_target_s`` (one target, or one per priority value).
* **priority** — the last non-null value of the ``priority`` attribute; "1 - Critical", "P1" and
  "1" are priority 1 (``p1_pattern``), likewise for 2.

Per period (values in the library's units; percentages 0-100):

* ``INC_VOLUME`` = count(cases opened in the period); ``INC_P1`` / ``INC_P2`` = the same for
  priority 1 / 2 (needs the priority attribute).
* ``MTTR`` (hours) = sum(resolved_at - opened) / count, over the cases resolved in the period.
* ``SLA_COMPL`` (%) = cases resolved in the period that met their SLA / those with a known SLA
  outcome x 100 (needs the met attribute or a target).
* ``REASSIGN`` (%) = cases resolved in the period handled by more than one group / cases resolved
  x 100 (the library's "incidents with >1 assignment group / incidents resolved").
* ``REOPEN`` (%) = cases resolved in the period that had been reopened / cases resolved x 100.
* ``FCR`` (%) = cases resolved in the period at the first line / cases resolved x 100, where
  "first line" is every value of ``level_attribute`` equal to ``first_level`` when configured,
  else no group change (resolved by the group that took the ticket first). This is a proxy of
  first-*contact* resolution: an event log does not record the contacts themselves.
* ``BACKLOG_AGE`` (days) = median(period end - opened) over the cases open at period end
  (opened before it and not resolved before it); 0 when nothing is open.

Counts and the backlog are only given for periods the log covers almost wholly (``min_coverage``
of the period between its first and last event), since a log starting on the 29th says nothing of
the month's volume. Means and rates need ``min_cases`` cases resolved in the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from portolan.engine import process
from portolan.engine.findings import FindingsConfig
from portolan.engine.kpi import Period
from portolan.engine.process import Frame

EVERY = {"week": "1w", "month": "1mo", "quarter": "1q"}
CODES = ("INC_VOLUME", "INC_P1", "INC_P2", "MTTR", "SLA_COMPL", "REASSIGN", "REOPEN", "FCR", "BACKLOG_AGE")
# Incident KPIs of the library that an event log cannot feed, and why.
NOT_FROM_EVENT_LOGS = {
    "MTBF": "needs service/CI operating time and failures, which an incident event log does not record",
    "SLA_RESP": "needs first-response times and a response target, which the event log does not carry",
}
TRUE_VALUES = ("true", "1", "yes", "y", "t")


@dataclass(frozen=True)
class ItsmConfig:
    """How to read an incident log; :meth:`from_findings` derives it from the findings preset."""

    resolved_pattern: str = process.CLOSING_PATTERN
    reopen_activity: str | None = None
    priority: str | None = None
    p1_pattern: str = r"^\s*[Pp]?\s*1\b"
    p2_pattern: str = r"^\s*[Pp]?\s*2\b"
    sla_target_s: float | dict[str, float] | None = None
    sla_met_attribute: str | None = None
    level_attribute: str | None = None
    first_level: str = "L1"
    min_cases: int = 10
    min_coverage: float = 0.9

    @classmethod
    def from_findings(cls, config: FindingsConfig | None, **overrides) -> ItsmConfig:
        """The same log settings as the findings detectors (SLA, priority, reopen, support level)."""
        config = config or FindingsConfig()
        values = {
            "reopen_activity": config.reopen_activity,
            "priority": config.sla_priority,
            "sla_target_s": config.sla_target_s,
            "sla_met_attribute": config.sla_met_attribute,
            "level_attribute": config.level_attribute,
            "first_level": config.first_level,
        }
        return cls(**(values | overrides))


@dataclass
class ItsmKpis:
    """Values per KPI code, ``[(period label, value), ...]`` oldest first, and the KPIs skipped."""

    every: str
    values: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)


def _has_values(df: pl.DataFrame, column: str | None) -> bool:
    return bool(column) and column in df.columns and df[column].null_count() < df.height


def case_facts(frame: Frame, config: ItsmConfig) -> pl.DataFrame:
    """One row per case: opened, resolved_at (null if open), reopened, groups, met, priority, first_line."""
    lf = frame.lazy().sort("case", "timestamp", "row", maintain_order=True)
    names = lf.collect_schema().names()
    resolving = pl.col("activity").str.contains(config.resolved_pattern)
    pos = pl.int_range(pl.len()).over("case")
    lf = lf.with_columns(resolving.alias("_resolving"), pos.alias("_pos"))
    last_open = pl.when(~pl.col("_resolving")).then(pl.col("_pos")).max().over("case").fill_null(-1)
    if config.reopen_activity is not None:
        reopen = pl.col("activity") == config.reopen_activity
    else:
        reopen = ~pl.col("_resolving") & pl.col("_resolving").cum_max().shift(1).over("case").fill_null(False)
    lf = lf.with_columns(last_open.alias("_last_open"), reopen.alias("_reopen"))
    aggs = [
        pl.col("timestamp").min().alias("opened"),
        pl.col("timestamp").filter(pl.col("_pos") > pl.col("_last_open")).min().alias("resolved_at"),
        pl.col("_reopen").any().alias("reopened"),
        pl.col("group").drop_nulls().n_unique().alias("groups"),
    ]
    if config.sla_met_attribute and config.sla_met_attribute in names:
        met = pl.col(config.sla_met_attribute).cast(pl.String).drop_nulls().last()
        aggs.append(met.str.to_lowercase().is_in(TRUE_VALUES).alias("met"))
    if config.priority and config.priority in names:
        aggs.append(pl.col(config.priority).cast(pl.String).drop_nulls().last().alias("priority"))
    if config.level_attribute and config.level_attribute in names:
        level = pl.col(config.level_attribute).cast(pl.String).drop_nulls()
        aggs.append(((level == config.first_level).all() & (level.len() > 0)).alias("first_line"))
    cases = lf.group_by("case").agg(aggs).collect()
    cases = cases.with_columns(
        (pl.col("resolved_at") - pl.col("opened")).dt.total_seconds(fractional=True).alias("resolve_s")
    )
    if "met" not in cases.columns and config.sla_target_s is not None:
        if isinstance(config.sla_target_s, dict):
            target = (
                pl.col("priority").replace_strict(config.sla_target_s, default=None, return_dtype=pl.Float64)
                if "priority" in cases.columns
                else pl.lit(None, pl.Float64)
            )
        else:
            target = pl.lit(float(config.sla_target_s))
        cases = cases.with_columns((pl.col("resolve_s") <= target).alias("met"))
    if "first_line" not in cases.columns:
        cases = cases.with_columns((pl.col("groups") <= 1).alias("first_line"))
    return cases


def _label(kind: str, start: dt.datetime | dt.date) -> str:
    day = start.date() if isinstance(start, dt.datetime) else start
    return Period.containing(kind, day).label


def _periods(first: dt.datetime, last: dt.datetime, every: str, min_coverage: float) -> pl.DataFrame:
    """Periods from the first to the last event's, with their end and whether the log covers them."""
    step = EVERY[every]
    table = (
        pl.datetime_range(
            pl.lit(first).dt.truncate(step),
            pl.lit(last).dt.truncate(step),
            step,
            time_unit="us",
            time_zone="UTC",
            eager=True,
        )
        .alias("period")
        .to_frame()
        .with_columns(pl.col("period").dt.offset_by(step).alias("period_end"))
    )
    length = pl.col("period_end") - pl.col("period")
    covered = pl.min_horizontal(pl.col("period_end"), pl.lit(last)) - pl.max_horizontal(
        pl.col("period"), pl.lit(first)
    )
    ratio = covered.dt.total_seconds(fractional=True) / length.dt.total_seconds(fractional=True)
    return table.with_columns((ratio >= min_coverage).alias("covered"))


def _series(df: pl.DataFrame, kind: str, column: str, digits: int = 4) -> list[tuple[str, float]]:
    return [
        (_label(kind, start), round(float(value), digits))
        for start, value in df.select("period", column).rows()
        if value is not None
    ]


def compute(frame: Frame, config: ItsmConfig | None = None, every: str = "month") -> ItsmKpis:
    """The supported ITSM KPIs per ``every`` (week, month, quarter) — see the module docstring."""
    if every not in EVERY:
        raise ValueError(f"every must be one of {', '.join(EVERY)}")
    config = config or ItsmConfig()
    out = ItsmKpis(every, unsupported=dict(NOT_FROM_EVENT_LOGS))
    df = frame.lazy().collect()
    if df.height == 0:
        out.unsupported |= dict.fromkeys(CODES, "the log is empty")
        return out
    step = EVERY[every]
    cases = case_facts(df, config)
    periods = _periods(df["timestamp"].min(), df["timestamp"].max(), every, config.min_coverage)
    covered = periods.filter(pl.col("covered"))

    # Arrivals: volume and priorities, in the periods the log covers.
    has_priority = "priority" in cases.columns and cases["priority"].null_count() < cases.height
    arrivals = [pl.len().alias("INC_VOLUME")]
    if has_priority:
        arrivals += [
            pl.col("priority").str.contains(config.p1_pattern).fill_null(False).sum().alias("INC_P1"),
            pl.col("priority").str.contains(config.p2_pattern).fill_null(False).sum().alias("INC_P2"),
        ]
    else:
        out.unsupported |= dict.fromkeys(("INC_P1", "INC_P2"), "the log has no priority attribute")
    opened = cases.group_by(pl.col("opened").dt.truncate(step).alias("period")).agg(arrivals)
    opened = covered.select("period").join(opened, on="period", how="left").fill_null(0).sort("period")
    for code in ("INC_VOLUME", "INC_P1", "INC_P2"):
        if code in opened.columns:
            out.values[code] = _series(opened, every, code)

    # Resolutions: means and rates over the cases resolved in the period.
    has_groups = _has_values(df, "group")
    has_met = "met" in cases.columns and cases["met"].null_count() < cases.height
    rates = [pl.len().alias("resolved"), (pl.col("resolve_s").mean() / 3600).alias("MTTR")]
    rates.append((pl.col("reopened").mean() * 100).alias("REOPEN"))
    if has_met:
        rates.append((pl.col("met").mean() * 100).alias("SLA_COMPL"))
    else:
        out.unsupported["SLA_COMPL"] = "no SLA outcome attribute or SLA target is configured for this log"
    if has_groups:
        rates.append(((pl.col("groups") > 1).mean() * 100).alias("REASSIGN"))
    else:
        out.unsupported["REASSIGN"] = "the log has no assignment group"
    if has_groups or _has_values(df, config.level_attribute):
        rates.append((pl.col("first_line").mean() * 100).alias("FCR"))
    else:
        out.unsupported["FCR"] = "the log has neither an assignment group nor a support-level attribute"
    resolved = (
        cases.filter(pl.col("resolved_at").is_not_null())
        .group_by(pl.col("resolved_at").dt.truncate(step).alias("period"))
        .agg(rates)
        .filter(pl.col("resolved") >= config.min_cases)
        .sort("period")
    )
    for code in ("MTTR", "SLA_COMPL", "REASSIGN", "REOPEN", "FCR"):
        if code in resolved.columns:
            out.values[code] = _series(resolved, every, code)

    # Backlog: median age of the cases open at each covered period's end.
    age_days = (pl.col("period_end") - pl.col("opened")).dt.total_seconds(fractional=True) / 86400
    is_open = (pl.col("opened") < pl.col("period_end")) & (
        pl.col("resolved_at").is_null() | (pl.col("resolved_at") >= pl.col("period_end"))
    )
    backlog = (
        covered.join(cases.select("opened", "resolved_at"), how="cross")
        .group_by("period")
        .agg(age_days.filter(is_open).median().fill_null(0.0).alias("BACKLOG_AGE"))
        .sort("period")
    )
    out.values["BACKLOG_AGE"] = _series(backlog, every, "BACKLOG_AGE")
    out.values = {code: series for code, series in out.values.items() if series}
    for code in CODES:
        if code not in out.values and code not in out.unsupported:
            out.unsupported[code] = "no period of the log has enough cases"
    return out
