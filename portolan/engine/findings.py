"""Rule-based detectors turning process analyses into quantified, ranked findings.

Each finding carries the share of cases concerned, the impact in hours per month, evidence case
ids (a sample and the total) and the KPI that would track its improvement. Impact is *excess
duration*: for each flagged case, how much longer it ran than the median case without the
problem (or than the SLA target), summed and spread over the months the log covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from portolan.engine import process
from portolan.engine.process import Frame


@dataclass(frozen=True)
class FindingsConfig:
    """Knobs of the detectors; the defaults suit incident logs."""

    reassignment_threshold: int = 3
    level_attribute: str | None = None
    first_level: str = "L1"
    first_level_target: float = 0.7
    sla_target_s: float | dict[str, float] | None = None
    sla_priority: str | None = None
    sla_met_attribute: str | None = None
    reopen_activity: str | None = None
    min_share: float = 0.01
    min_driver_cases: int = 30
    top_pairs: int = 3
    sample_size: int = 10


CONFIG_PRESETS: dict[str, FindingsConfig] = {
    "servicenow": FindingsConfig(sla_met_attribute="made_sla", sla_priority="priority"),
    "vinst": FindingsConfig(level_attribute="ST Level"),
}


@dataclass
class Finding:
    """A quantified inefficiency with its evidence."""

    code: str
    title: str
    impact_hours_per_month: float
    share_of_cases: float
    evidence_case_ids: list[str]
    evidence_total: int
    kpi: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


@dataclass
class Context:
    """What every detector needs: the log, per-case durations, its span in months."""

    frame: pl.DataFrame
    cases: pl.DataFrame
    months: float
    config: FindingsConfig

    @property
    def n_cases(self) -> int:
        """Number of cases."""
        return self.cases.height


@dataclass
class Excess:
    """Flagged cases compared with the others."""

    ratio: float
    hours_per_month: float
    sample: list[str]
    total: int
    median_s: float = 0.0
    baseline_s: float = 0.0

    @property
    def readable_ratio(self) -> bool:
        """A ratio reads well unless the others are very short (under an hour) or it exceeds 20:
        "651× longer" says less than the two medians."""
        return self.baseline_s >= 3600 and self.ratio <= MAX_READABLE_RATIO

    @property
    def medians(self) -> str:
        return f"{_span(self.median_s)} against {_span(self.baseline_s)}"

    @property
    def longer(self) -> str:
        """'2.6× longer', or 'a median of 9.6 days against 21 min' (see ``readable_ratio``)."""
        return f"{self.ratio:.1f}× longer" if self.readable_ratio else f"a median of {self.medians}"


MAX_READABLE_RATIO = 20


def _span(seconds: float) -> str:
    """A duration in the unit that reads best: min, h or days."""
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def excess(ctx: Context, flagged: pl.Series, baseline_s: float | None = None) -> Excess:
    """Median-duration ratio and excess hours/month of the flagged cases over the others' median."""
    is_flagged = ctx.cases["case"].is_in(flagged.implode())
    hit, rest = ctx.cases.filter(is_flagged), ctx.cases.filter(~is_flagged)
    if baseline_s is None:
        baseline_s = float((rest if rest.height else ctx.cases)["duration_s"].median() or 0.0)
    over = hit.with_columns((pl.col("duration_s") - baseline_s).clip(lower_bound=0).alias("excess_s"))
    hit_median = float(hit["duration_s"].median() or 0.0)
    ratio = hit_median / baseline_s if baseline_s > 0 else float("inf") if hit_median else 1.0
    hours = float(over["excess_s"].sum()) / 3600 / ctx.months
    sample = top_cases(over, "excess_s", ctx.config.sample_size)
    return Excess(ratio, hours, sample, hit.height, hit_median, baseline_s)


def top_cases(per_case: pl.DataFrame, column: str, k: int) -> list[str]:
    """The ``k`` cases with the largest ``column``, ties by case id: the head of a full sort,
    sorting only the rows at or above the k-th largest value (on 5M-event logs a full sort of
    the case ids took most of a detector's time)."""
    if per_case.height > k > 0:
        threshold = per_case[column].top_k(k).min()
        per_case = per_case.filter(pl.col(column) >= threshold)
    return per_case.sort([column, "case"], descending=[True, False])["case"].head(k).to_list()


def _finding(code: str, title: str, ctx: Context, ex: Excess, kpi: str, **details: Any) -> Finding:
    """Assemble a finding from an excess computation."""
    return Finding(
        code=code,
        title=title,
        impact_hours_per_month=round(ex.hours_per_month, 1),
        share_of_cases=ex.total / ctx.n_cases if ctx.n_cases else 0.0,
        evidence_case_ids=ex.sample,
        evidence_total=ex.total,
        kpi=kpi,
        details={"median_duration_ratio": ex.ratio, **details},
    )


def _has_groups(ctx: Context) -> bool:
    """Whether the log carries a group for at least one event."""
    return ctx.frame["group"].null_count() < ctx.frame.height


def detect_reassignment(ctx: Context) -> list[Finding]:
    """Cases handed between groups ``reassignment_threshold`` or more times."""
    if not _has_groups(ctx):
        return []
    k = ctx.config.reassignment_threshold
    per_case = process.group_changes(ctx.frame)
    flagged = per_case.filter(pl.col("group_changes") >= k)["case"]
    if flagged.len() / ctx.n_cases < ctx.config.min_share:
        return []
    ex = excess(ctx, flagged)
    title = (
        f"Incidents reassigned {k}+ times: {ex.total / ctx.n_cases:.0%} of volume, median resolution "
        f"{ex.longer if ex.readable_ratio else ex.medians}, "
        f"about {ex.hours_per_month:,.0f} hours of delay a month"
    )
    return [_finding("reassignment", title, ctx, ex, "reassignment_rate", threshold=k)]


def detect_ping_pong(ctx: Context) -> list[Finding]:
    """The group pairs that most often hand a case back and forth (A → B → A)."""
    if not _has_groups(ctx):
        return []
    pairs = process.ping_pong(ctx.frame).filter(pl.col("share") >= ctx.config.min_share)
    found = []
    for a, b, ids, _, share in pairs.head(ctx.config.top_pairs).rows():
        ex = excess(ctx, pl.Series(ids, dtype=pl.String))
        title = (
            f"Ping-pong between {a} and {b} in {share:.1%} of cases; those cases take "
            f"{ex.longer} (about {ex.hours_per_month:,.0f} hours a month)"
        )
        found.append(_finding("ping_pong", title, ctx, ex, "reassignment_rate", groups=[a, b]))
    return found


def detect_push_to_front(ctx: Context) -> list[Finding]:
    """Share of cases handled entirely at the first support level, if below the target."""
    col, first = ctx.config.level_attribute, ctx.config.first_level
    if not col or col not in ctx.frame.columns:
        return []
    per_case = ctx.frame.group_by("case").agg((pl.col(col).drop_nulls() == first).all().alias("first_only"))
    share_first = per_case["first_only"].mean() or 0.0
    if share_first >= ctx.config.first_level_target:
        return []
    ex = excess(ctx, per_case.filter(~pl.col("first_only"))["case"])
    title = (
        f"{first} closes only {share_first:.0%} of incidents (push-to-front); escalated incidents take "
        f"{ex.longer} (about {ex.hours_per_month:,.0f} hours a month)"
    )
    return [
        _finding("push_to_front", title, ctx, ex, "first_line_resolution_rate", first_level_share=share_first)
    ]


def detect_bottleneck(ctx: Context) -> list[Finding]:
    """The transition with the largest total waiting time; impact is waiting beyond its median."""
    trans = process.with_transitions(ctx.frame).filter(pl.col("next_activity").is_not_null()).collect()
    if trans.height == 0:
        return []
    top = process.ranked_bottlenecks(trans.lazy(), top=1).row(0, named=True)
    on_it = trans.filter(
        (pl.col("activity") == top["activity"]) & (pl.col("next_activity") == top["next_activity"])
    )
    over = on_it.with_columns((pl.col("wait_s") - top["median_s"]).clip(lower_bound=0).alias("excess_s"))
    per_case = over.group_by("case").agg(pl.col("excess_s").sum())
    hours = float(over["excess_s"].sum()) / 3600 / ctx.months
    title = (
        f"Bottleneck: '{top['activity']}' → '{top['next_activity']}' holds {top['share_of_wait']:.0%} of all "
        f"waiting time ({top['count']:,} transitions, median {top['median_s'] / 3600:.1f} h, "
        f"P90 {top['p90_s'] / 3600:.1f} h); waits beyond the median cost about {hours:,.0f} hours a month"
    )
    return [
        Finding(
            code="bottleneck",
            title=title,
            impact_hours_per_month=round(hours, 1),
            share_of_cases=per_case.height / ctx.n_cases,
            evidence_case_ids=top_cases(per_case, "excess_s", ctx.config.sample_size),
            evidence_total=per_case.height,
            kpi="mttr",
            details={
                k: top[k] for k in ("activity", "next_activity", "count", "mean_s", "median_s", "p90_s")
            },
        )
    ]


def detect_rework(ctx: Context) -> list[Finding]:
    """Cases returning to a step they had left."""
    rw = process.rework(ctx.frame)
    if rw["share"] < ctx.config.min_share:
        return []
    act, n = rw["by_activity"].row(0)
    ex = excess(ctx, pl.Series(rw["rework_cases"], dtype=pl.String))
    title = (
        f"Rework: {rw['share']:.0%} of cases return to an earlier step (most often '{act}', {n:,} cases); "
        f"they take {ex.longer} (about {ex.hours_per_month:,.0f} hours a month)"
    )
    return [_finding("rework", title, ctx, ex, "rework_rate", top_activity=act)]


def _sla_per_case(ctx: Context) -> pl.DataFrame | None:
    """Per-case SLA outcome if the config says how to judge it."""
    cfg = ctx.config
    if cfg.sla_met_attribute and cfg.sla_met_attribute in ctx.frame.columns:
        return process.sla_cases(ctx.frame, met_attribute=cfg.sla_met_attribute, priority=cfg.sla_priority)
    if cfg.sla_target_s is not None:
        return process.sla_cases(ctx.frame, target_s=cfg.sla_target_s, priority=cfg.sla_priority)
    return None


def detect_sla(ctx: Context) -> list[Finding]:
    """SLA breaches and the group whose involvement raises the breach rate most."""
    per_case = _sla_per_case(ctx)
    if per_case is None or not _has_groups(ctx):
        return []
    compliance = float(process.sla_compliance(per_case)["compliance"][0] or 0.0)
    drivers = process.sla_drivers(ctx.frame, per_case, "group", ctx.config.min_driver_cases)
    drivers = drivers.filter(pl.col("lift") > 1)
    if compliance >= 1.0 or drivers.height == 0:
        return []
    group, cases, rate, ids, lift = drivers.row(0)
    breached = per_case.filter(~pl.col("met").fill_null(True))
    flagged = breached.filter(pl.col("case").is_in(pl.Series(ids).implode()))["case"]
    ex = excess(ctx, flagged, baseline_s=_met_median(per_case))
    title = (
        f"SLA met in {compliance:.0%} of cases; incidents involving {group} breach {lift:.1f}× as often "
        f"({rate:.0%} of {cases:,}), about {ex.hours_per_month:,.0f} hours a month beyond the typical "
        "compliant case"
    )
    by_priority = (
        process.sla_compliance(per_case, ctx.config.sla_priority).rows() if ctx.config.sla_priority else []
    )
    return [
        _finding(
            "sla_breach",
            title,
            ctx,
            ex,
            "sla_compliance",
            compliance=compliance,
            driver=group,
            by_priority=by_priority,
        )
    ]


def _met_median(per_case: pl.DataFrame) -> float | None:
    """Median duration of the cases that met their SLA."""
    met = per_case.filter(pl.col("met").fill_null(False))
    return float(met["duration_s"].median()) if met.height else None


def detect_reopen(ctx: Context) -> list[Finding]:
    """Cases reopened after being closed or resolved."""
    ro = process.reopens(ctx.frame, ctx.config.reopen_activity)
    if not ro["reopened_cases"]:
        return []
    ex = excess(ctx, pl.Series(ro["reopened_cases"], dtype=pl.String))
    title = (
        f"{ro['rate']:.1%} of closed incidents are reopened ({ex.total:,}); they take {ex.longer} "
        f"(about {ex.hours_per_month:,.0f} hours a month)"
    )
    return [_finding("reopen", title, ctx, ex, "reopen_rate", rate=ro["rate"])]


DETECTORS: tuple[Callable[[Context], list[Finding]], ...] = (
    detect_reassignment,
    detect_ping_pong,
    detect_push_to_front,
    detect_bottleneck,
    detect_rework,
    detect_sla,
    detect_reopen,
)


def detect(frame: Frame, config: FindingsConfig | None = None) -> list[Finding]:
    """Run every detector on a normalized log; findings ranked by impact (hours per month)."""
    df = frame.lazy().collect()
    if df.height == 0:
        return []
    cases = process.case_table(df).select("case", "duration_s").collect()
    ctx = Context(df, cases, process.log_months(df), config or FindingsConfig())
    found = [f for detector in DETECTORS for f in detector(ctx)]
    return sorted(found, key=lambda f: (-f.impact_hours_per_month, f.code, f.title))
