"""Process-mining analyses on a normalized event log (see ``eventlog``), in Polars; the core
analysis (``analyze``) runs on arrays in ``traces``.

Every function takes the normalized frame (eager or lazy; grouped by case, each case sorted by
timestamp and row) and optional ``Filters``, and returns plain data or a small Polars frame.
Durations are seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from portolan.engine import traces

Frame = pl.DataFrame | pl.LazyFrame
VARIANT_SEP = traces.VARIANT_SEP
CLOSING_PATTERN = r"(?i)\b(closed|resolved|completed|cancell?ed)\b"
# In a log grouped by case: whether an event is its case's first, or its last.
FIRST_OF_CASE = (pl.col("case") != pl.col("case").shift(1)).fill_null(True)
LAST_OF_CASE = (pl.col("case") != pl.col("case").shift(-1)).fill_null(True)


@dataclass(frozen=True)
class Filters:
    """Case-level filters: cases started in [start, end), having attribute values, of one variant."""

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    attributes: dict[str, Sequence[str]] = field(default_factory=dict)
    variant: Sequence[str] | None = None


def _seconds(expr: pl.Expr) -> pl.Expr:
    """A Duration expression as float seconds."""
    return expr.dt.total_microseconds().cast(pl.Float64) / 1e6


def _utc(value: dt.datetime) -> dt.datetime:
    """A datetime as UTC (naive ones are taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def apply_filters(frame: Frame, filters: Filters | None = None) -> pl.LazyFrame:
    """Keep the events of the cases that pass every filter; order is preserved."""
    lf = frame.lazy()
    if filters is None:
        return lf
    keep: list[pl.Expr] = []
    first = pl.col("timestamp").min().over("case")
    if filters.start is not None:
        keep.append(first >= _utc(filters.start))
    if filters.end is not None:
        keep.append(first < _utc(filters.end))
    for column, values in filters.attributes.items():
        keep.append(pl.col(column).cast(pl.String).is_in(list(values)).any().over("case"))
    if filters.variant is not None:
        trace = pl.col("activity").str.join(VARIANT_SEP).over("case")
        keep.append(trace == VARIANT_SEP.join(filters.variant))
    return lf.filter(pl.all_horizontal(keep)) if keep else lf


def with_transitions(frame: Frame, filters: Filters | None = None) -> pl.LazyFrame:
    """Events with the next activity/timestamp of the same case and the wait until it (seconds)."""
    lf = apply_filters(frame, filters)
    same = ~LAST_OF_CASE
    return lf.with_columns(
        pl.when(same).then(pl.col("activity").shift(-1)).alias("next_activity"),
        pl.when(same).then(_seconds(pl.col("timestamp").shift(-1) - pl.col("timestamp"))).alias("wait_s"),
        FIRST_OF_CASE.alias("is_first"),
        LAST_OF_CASE.alias("is_last"),
    )


def case_table(frame: Frame, filters: Filters | None = None) -> pl.LazyFrame:
    """One row per case: start, end, duration_s, events, variant key (activities joined)."""
    lf = apply_filters(frame, filters)
    return (
        lf.group_by("case")
        .agg(
            pl.col("timestamp").min().alias("start"),
            pl.col("timestamp").max().alias("end"),
            pl.len().alias("events"),
            pl.col("activity").str.join(VARIANT_SEP).alias("variant"),
        )
        .with_columns(_seconds(pl.col("end") - pl.col("start")).alias("duration_s"))
    )


def _stats(col: str) -> list[pl.Expr]:
    """Count, mean, median, p90 and total of a seconds column."""
    c = pl.col(col)
    return [
        pl.len().alias("count"),
        c.mean().alias("mean_s"),
        c.median().alias("median_s"),
        c.quantile(0.9, interpolation="linear").alias("p90_s"),
        c.sum().alias("total_s"),
    ]


def dfg_frame(transitions: pl.LazyFrame) -> pl.LazyFrame:
    """Directly-follows pairs with count and wait statistics."""
    return (
        transitions.filter(pl.col("next_activity").is_not_null())
        .group_by("activity", "next_activity")
        .agg(_stats("wait_s"))
        .sort(["count", "activity", "next_activity"], descending=[True, False, False])
    )


def _endpoint_counts(transitions: pl.LazyFrame, flag: str) -> pl.LazyFrame:
    """Activity counts of the first or last events of cases."""
    return (
        transitions.filter(pl.col(flag))
        .group_by("activity")
        .len()
        .sort(["len", "activity"], descending=[True, False])
    )


def activity_times(frame: Frame, filters: Filters | None = None) -> pl.DataFrame:
    """Time per activity: its own duration if start times exist, else the time until the next event."""
    lf = with_transitions(frame, filters)
    if "start_timestamp" in lf.collect_schema().names():
        lf = lf.with_columns(_seconds(pl.col("timestamp") - pl.col("start_timestamp")).alias("wait_s"))
    return (
        lf.filter(pl.col("wait_s").is_not_null())
        .group_by("activity")
        .agg(_stats("wait_s"))
        .sort("total_s", descending=True)
        .collect()
    )


def bottlenecks(frame: Frame, filters: Filters | None = None, top: int = 10) -> pl.DataFrame:
    """Transitions ranked by total waiting time, with their share of all waiting."""
    return ranked_bottlenecks(with_transitions(frame, filters), top)


def ranked_bottlenecks(transitions: pl.LazyFrame, top: int = 10) -> pl.DataFrame:
    """``bottlenecks`` from events already carrying their transitions (``with_transitions``)."""
    dfg = dfg_frame(transitions).collect()
    return (
        dfg.with_columns((pl.col("total_s") / pl.col("total_s").sum()).alias("share_of_wait"))
        .sort("total_s", descending=True)
        .head(top)
    )


def _collapsed(lf: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """Events where ``column`` changes within a case (consecutive repeats and nulls dropped)."""
    lf = lf.filter(pl.col(column).is_not_null())
    changed = (pl.col(column) != pl.col(column).shift(1)) | FIRST_OF_CASE
    return lf.filter(changed.fill_null(True))


def rework(frame: Frame, filters: Filters | None = None) -> dict[str, Any]:
    """Cases returning to an activity they had left (self-loops are not rework).

    Returns ``{"cases", "rework_cases", "share", "by_activity": frame(activity, cases)}``.
    """
    steps = _collapsed(apply_filters(frame, filters), "activity")
    repeated = steps.filter(pl.len().over("case", "activity") > 1)
    by_activity = (
        repeated.group_by("activity")
        .agg(pl.col("case").n_unique().alias("cases"))
        .sort(["cases", "activity"], descending=[True, False])
    )
    total = apply_filters(frame, filters).select(pl.col("case").n_unique())
    rw_cases = repeated.select(pl.col("case").unique())
    by_act, n_total, cases = pl.collect_all([by_activity, total, rw_cases])
    n = n_total.item()
    return {
        "cases": n,
        "rework_cases": cases["case"].to_list(),
        "share": cases.height / n if n else 0.0,
        "by_activity": by_act,
    }


def group_changes(frame: Frame, filters: Filters | None = None) -> pl.DataFrame:
    """Per case: number of changes of (non-null) group, duration and first/last group."""
    lf = apply_filters(frame, filters)
    changes = (
        _collapsed(lf, "group")
        .group_by("case")
        .agg((pl.len() - 1).alias("group_changes"), pl.col("group").first().alias("first_group"))
    )
    cases = case_table(lf).select("case", "duration_s", "start")
    return (
        cases.join(changes, on="case", how="left")
        .with_columns(pl.col("group_changes").fill_null(0))
        .collect()
    )


def reassignment_effect(frame: Frame, filters: Filters | None = None, cap: int = 5) -> pl.DataFrame:
    """Cases by number of group changes (``cap`` means cap or more): count, share, median duration."""
    per_case = group_changes(frame, filters)
    bucket = pl.min_horizontal(pl.col("group_changes"), pl.lit(cap)).alias("changes")
    return (
        per_case.group_by(bucket)
        .agg(pl.len().alias("cases"), pl.col("duration_s").median().alias("median_duration_s"))
        .with_columns((pl.col("cases") / pl.col("cases").sum()).alias("share"))
        .sort("changes")
    )


def ping_pong(frame: Frame, filters: Filters | None = None) -> pl.DataFrame:
    """Group pairs handing a case back and forth (A -> B -> A): cases and share, by pair."""
    lf = apply_filters(frame, filters)
    steps = _collapsed(lf, "group")
    same2 = pl.col("case") == pl.col("case").shift(-2)
    g, g2, g1 = pl.col("group"), pl.col("group").shift(-2), pl.col("group").shift(-1)
    bounces = (
        steps.with_columns(
            pl.min_horizontal(g, g1).alias("group_a"),
            pl.max_horizontal(g, g1).alias("group_b"),
            (same2 & (g == g2)).alias("bounce"),
        )
        .filter(pl.col("bounce"))
        .select("case", "group_a", "group_b")
    )
    total = lf.select(pl.col("case").n_unique()).collect().item()
    return (
        bounces.group_by("group_a", "group_b")
        .agg(pl.col("case").unique().alias("case_ids"))
        .with_columns(pl.col("case_ids").list.len().alias("cases"))
        .with_columns((pl.col("cases") / max(total, 1)).alias("share"))
        .sort(["cases", "group_a", "group_b"], descending=[True, False, False])
        .collect()
    )


def _case_attribute(lf: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """Per case: the last non-null value of an attribute, as text (cases without one are left
    out). The log is grouped by case, so that is the last row of each case's run of non-null
    values: no group-by on the case ids."""
    return (
        lf.select("case", pl.col(column).cast(pl.String))
        .filter(pl.col(column).is_not_null())
        .filter(LAST_OF_CASE)
    )


def sla_cases(
    frame: Frame,
    *,
    target_s: float | dict[str, float] | None = None,
    priority: str | None = None,
    met_attribute: str | None = None,
    filters: Filters | None = None,
) -> pl.DataFrame:
    """Per case: duration, priority and ``met`` (SLA met).

    ``met`` comes from a duration target (one number, or one per ``priority`` value) or from a
    true/false attribute such as ServiceNow's ``made_sla`` (last value of the case).
    """
    lf = apply_filters(frame, filters)
    cases = case_table(lf).select("case", "duration_s")
    if priority:
        cases = cases.join(_case_attribute(lf, priority), on="case", how="left")
    if met_attribute:
        flag = _case_attribute(lf, met_attribute).select(
            "case",
            pl.col(met_attribute).str.to_lowercase().is_in(["true", "1", "yes", "y", "t"]).alias("met"),
        )
        return cases.join(flag, on="case", how="left").collect()
    if target_s is None:
        raise ValueError("sla_cases needs target_s or met_attribute")
    if isinstance(target_s, dict):
        if not priority:
            raise ValueError("per-priority SLA targets need the priority attribute")
        target = pl.col(priority).replace_strict(target_s, default=None, return_dtype=pl.Float64)
    else:
        target = pl.lit(float(target_s))
    return cases.with_columns((pl.col("duration_s") <= target).alias("met")).collect()


def sla_compliance(per_case: pl.DataFrame, by: str | None = None) -> pl.DataFrame:
    """Compliance (share of cases meeting the SLA), overall or by a column of ``sla_cases``."""
    keys = [by] if by else []
    agg = [pl.len().alias("cases"), pl.col("met").mean().alias("compliance")]
    if not keys:
        return per_case.filter(pl.col("met").is_not_null()).select(agg)
    return per_case.filter(pl.col("met").is_not_null()).group_by(keys).agg(agg).sort("cases", descending=True)


def sla_drivers(
    frame: Frame, per_case: pl.DataFrame, column: str = "group", min_cases: int = 30
) -> pl.DataFrame:
    """Breach rate of the cases involving each value of ``column`` vs the overall rate (lift)."""
    involved = _collapsed(frame.lazy(), column).select("case", column).unique().collect()
    breach = per_case.filter(pl.col("met").is_not_null()).select("case", (~pl.col("met")).alias("breach"))
    overall = breach["breach"].mean() or 0.0
    return (
        involved.join(breach, on="case")
        .group_by(column)
        .agg(
            pl.len().alias("cases"),
            pl.col("breach").mean().alias("breach_rate"),
            pl.col("case").alias("case_ids"),
        )
        .filter(pl.col("cases") >= min_cases)
        .with_columns((pl.col("breach_rate") / overall if overall else pl.lit(None)).alias("lift"))
        .sort(["lift", "cases"], descending=True)
    )


def reopens(
    frame: Frame, reopen_activity: str | None = None, filters: Filters | None = None
) -> dict[str, Any]:
    """Reopened cases: with ``reopen_activity``, or with a non-closing event after a closing one.

    Closing activities match ``CLOSING_PATTERN`` (closed, resolved, completed, cancelled), tried
    on each distinct activity once. The log being grouped by case, "closed earlier in the case"
    is a running count of closing events less its value where the case began (no per-case
    window: 5M events took 2 s that way). Returns ``{"closed_cases", "reopened_cases": [ids],
    "rate"}``.
    """
    lf = apply_filters(frame, filters)
    activities = lf.select(pl.col("activity").unique()).collect()["activity"]
    closing = pl.col("activity").is_in(activities.filter(activities.str.contains(CLOSING_PATTERN)).implode())
    first = FIRST_OF_CASE
    before = closing.cast(pl.UInt32).cum_sum() - closing.cast(pl.UInt32)  # closings before this event
    if reopen_activity is not None:
        flagged = pl.col("activity") == reopen_activity
    else:
        flagged = ~closing & (before > pl.when(first).then(before).forward_fill())
    events = lf.select(
        "case", first.cum_sum().alias("cid"), closing.alias("closed"), flagged.alias("reopened")
    )
    closed, reopened = pl.collect_all(
        [
            events.filter(pl.col("closed")).select(pl.col("cid").n_unique()),
            events.filter(pl.col("reopened")).select(pl.col("case").unique().sort()),
        ]
    )
    n_closed, ids = int(closed.item()), reopened["case"].to_list()
    return {"closed_cases": n_closed, "reopened_cases": ids, "rate": len(ids) / n_closed if n_closed else 0.0}


def arrivals_closures(frame: Frame, every: str = "1mo", filters: Filters | None = None) -> pl.DataFrame:
    """Per period: cases opened, closed (last event), backlog at period end and its mean age (days)."""
    cases = case_table(frame, filters).select("start", "end").collect()
    opened = cases.group_by(pl.col("start").dt.truncate(every).alias("period")).agg(
        pl.len().alias("opened"),
        _seconds(pl.col("start") - pl.datetime(1970, 1, 1, time_zone="UTC")).sum().alias("s_in"),
    )
    closed = cases.group_by(pl.col("end").dt.truncate(every).alias("period")).agg(
        pl.len().alias("closed"),
        _seconds(pl.col("start") - pl.datetime(1970, 1, 1, time_zone="UTC")).sum().alias("s_out"),
    )
    periods = pl.datetime_range(
        opened["period"].min(), closed["period"].max(), every, time_unit="us", time_zone="UTC", eager=True
    ).alias("period")
    table = (
        periods.to_frame()
        .join(opened, on="period", how="left")
        .join(closed, on="period", how="left")
        .fill_null(0)
        .sort("period")
        .with_columns(
            (pl.col("opened").cum_sum() - pl.col("closed").cum_sum()).alias("backlog"),
            (pl.col("s_in").cum_sum() - pl.col("s_out").cum_sum()).alias("_open_start_sum"),
            pl.col("period").dt.offset_by(every).alias("period_end"),
        )
    )
    end_s = _seconds(pl.col("period_end") - pl.datetime(1970, 1, 1, time_zone="UTC"))
    age = (end_s - pl.col("_open_start_sum") / pl.col("backlog")) / 86400
    return table.with_columns(
        pl.when(pl.col("backlog") > 0).then(age).otherwise(0.0).alias("backlog_mean_age_days")
    ).select("period", "opened", "closed", "backlog", "backlog_mean_age_days")


def workload(frame: Frame, by: str = "group", filters: Filters | None = None) -> pl.DataFrame:
    """Events, cases and time held (until the next event) per group or resource."""
    return (
        with_transitions(frame, filters)
        .filter(pl.col(by).is_not_null())
        .group_by(by)
        .agg(
            pl.len().alias("events"),
            pl.col("case").n_unique().alias("cases"),
            (pl.col("wait_s").sum() / 3600).alias("hours_held"),
        )
        .sort("events", descending=True)
        .collect()
    )


def log_months(frame: Frame) -> float:
    """Length of the log in months (30.44 days), at least one day's worth."""
    span = (
        frame.lazy().select(_seconds(pl.col("timestamp").max() - pl.col("timestamp").min())).collect().item()
    )
    return max(span or 0.0, 86400.0) / (30.4375 * 86400)


def analyze(frame: Frame, filters: Filters | None = None) -> dict[str, Any]:
    """The core analysis: DFG, performance DFG, endpoints, variants, durations, throughput.

    The frame must be grouped by case, each sorted by (timestamp, row), as ``eventlog.read_log``
    returns it. The three columns it needs are collected once and analysed as arrays
    (``traces``).
    """
    events = apply_filters(frame, filters).select("case", "activity", "timestamp").collect()
    return traces.analyze(traces.CodedLog.from_frame(events))
