"""DORA metrics from deployment, change and incident records, in pure Polars (no Django).

Inputs are three tables mapped by :class:`DeliveryMapping`: deployments (id, time, optionally a
"failed" flag and the number of changes shipped), changes (created time and the time they reached
production, or the deployment that shipped them) and, optionally, incidents (start, restored).
:func:`compute` returns the four keys overall and per period, each with its performance band:

- deployment frequency: deployments per week;
- lead time for changes: median and P90 hours from change creation to production;
- change failure rate: failed deployments / deployments;
- time to restore: median hours from incident start to restore or, without incident records and
  with ``restore_proxy``, from a failed deployment to the next deployment (the one that reverts
  or fixes it).

Bands follow the State of DevOps reports (2019-2022) with their gaps closed at the boundaries;
``BANDS`` holds them, best band first, and :func:`band` applies them.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from portolan.engine import eventlog

BadRowPolicy = Literal["reject", "quarantine"]
EVERY = {"week": "1w", "month": "1mo", "quarter": "1q"}
TRUTHY = ("1", "true", "yes", "y", "t", "failed", "failure")
MAX_EXAMPLES = 5


class DeliveryError(ValueError):
    """Delivery records that cannot be read as mapped; the message says what and where."""


@dataclass(frozen=True)
class DeliveryMapping:
    """Which columns of the three tables hold what DORA needs.

    ``failed`` is a true/false column of deployments (1/true/yes); ``change_count`` lets
    deployments that ship no change (re-tags of the same commit) be left out; ``change_exclude``
    is a true/false column of changes that are not changes of their own (merge commits).
    A change's production time is ``change_deployed_at`` or, failing that, the time of the
    deployment named in ``change_deployment``.
    """

    deployment_id: str
    deployed_at: str
    failed: str | None = None
    change_count: str | None = None
    change_id: str | None = None
    change_created_at: str | None = None
    change_deployed_at: str | None = None
    change_deployment: str | None = None
    change_exclude: str | None = None
    incident_start: str | None = None
    incident_restored: str | None = None
    restore_proxy: bool = False
    timestamp_format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


PRESETS: dict[str, DeliveryMapping] = {
    # /work/shared/data/delivery/govuk-frontend: releases.csv (deployments) + changes.csv (commits).
    "govuk-frontend": DeliveryMapping(
        deployment_id="release_tag",
        deployed_at="release_time",
        failed="next_release_contains_revert",
        change_count="commits_in_release",
        change_id="commit_sha",
        change_created_at="authored_at",
        change_deployed_at="released_at",
        change_exclude="is_merge",
        restore_proxy=True,
    ),
}

# Lower bound of each band, best first. Deployment frequency is per week (7 = daily, 1 = weekly,
# 12/52 = monthly); lead time and time to restore are upper bounds in hours; failure rate in %.
BANDS: dict[str, dict[str, Any]] = {
    "deployment_frequency": {"higher_is_better": True, "elite": 7.0, "high": 1.0, "medium": 12 / 52},
    "lead_time_for_changes": {"higher_is_better": False, "elite": 24.0, "high": 168.0, "medium": 720.0},
    "change_failure_rate": {"higher_is_better": False, "elite": 15.0, "high": 30.0, "medium": 45.0},
    "time_to_restore": {"higher_is_better": False, "elite": 1.0, "high": 24.0, "medium": 168.0},
}
BAND_NAMES = ("elite", "high", "medium", "low")


def band(metric: str, value: float | None, bands: dict[str, dict[str, Any]] = BANDS) -> str | None:
    """The performance band of a value (None when there is no value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    rule = bands[metric]
    for name in ("elite", "high", "medium"):
        limit = rule[name]
        if (value >= limit) if rule["higher_is_better"] else (value <= limit):
            return name
    return "low"


@dataclass
class DeliveryData:
    """Normalized tables: deployments(id, deployed_at, failed), changes(id, created_at, deployed_at),
    incidents(start, restored), plus a report of what was read and set aside."""

    deployments: pl.DataFrame
    changes: pl.DataFrame | None = None
    incidents: pl.DataFrame | None = None
    report: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- reading


def _read_table(path: str | Path, separator: str | None, encoding: str | None) -> pl.DataFrame:
    """Any event-log source format (CSV/XLSX/Parquet; plain, zip or gz) as an all-text frame."""
    try:
        with eventlog.materialize(path) as (plain, suffix):
            if suffix in (".csv", ".tsv", ".txt"):
                raw = eventlog._sample(plain)
                text = raw.decode(encoding or eventlog._detect_encoding(raw), errors="ignore").lstrip(
                    "\ufeff"
                )
                frame = pl.read_csv(
                    plain,
                    separator=separator or eventlog.sniff_separator(text[:65536]),
                    infer_schema=False,
                    encoding="utf8-lossy" if (encoding or "utf-8").lower().startswith("utf") else encoding,
                )
            elif suffix == ".xlsx":
                frame = eventlog._read_xlsx(plain)
            elif suffix == ".parquet":
                frame = pl.read_parquet(plain)
            else:
                raise DeliveryError(
                    f"unsupported file type {suffix!r} for {Path(path).name}; use CSV, XLSX or Parquet"
                )
    except eventlog.EventLogError as exc:
        raise DeliveryError(str(exc)) from exc
    except pl.exceptions.PolarsError as exc:
        raise DeliveryError(f"cannot read {Path(path).name}: {exc}") from exc
    if frame.height == 0:
        raise DeliveryError(f"{Path(path).name} has no data rows")
    return frame


def _check(table: str, frame: pl.DataFrame, columns: Sequence[str | None]) -> None:
    missing = [c for c in columns if c and c not in frame.columns]
    if not missing:
        return
    hints = []
    for col in missing:
        close = difflib.get_close_matches(col, frame.columns, n=3)
        hints.append(f"{col!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
    raise DeliveryError(
        f"unknown column(s) in the {table} mapping: {'; '.join(hints)}. Available columns: {frame.columns}"
    )


def _truthy(col: str) -> pl.Expr:
    return (
        pl.col(col).cast(pl.String).str.strip_chars().str.to_lowercase().is_in(list(TRUTHY)).fill_null(False)
    )


def _timestamp(frame: pl.DataFrame, col: str, fmt: str | None) -> pl.Expr:
    """A text or datetime column as UTC; ISO 'Z' suffixes are read as +00:00."""
    dtype = frame.schema[col]
    if isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        return eventlog._to_utc(pl.col(col), dtype, None)
    text = pl.col(col).cast(pl.String).str.strip_chars().str.replace(r"Z$", "+00:00")
    if fmt is None:
        values = frame.select(text.alias("v"))["v"]
        if values.drop_nulls().len() == 0:
            return pl.lit(None, pl.Datetime("us", "UTC"))
        try:
            fmt = eventlog.detect_timestamp_format(values)["format"]
        except eventlog.EventLogError as exc:
            raise DeliveryError(f"column {col!r}: {exc}") from exc
    parsed = text.str.strptime(pl.Datetime("us"), fmt, strict=False, exact=True)
    return eventlog._to_utc(parsed, pl.Datetime("us", "UTC") if "%z" in fmt else pl.Datetime("us"), None)


def _bad(frame: pl.DataFrame, parsed: str, raw: str, table: str, required: bool = True) -> pl.DataFrame:
    """Rows whose timestamp is present but unparseable (or missing, when required)."""
    cond = pl.col(parsed).is_null() & (pl.col(raw).is_not_null() if not required else pl.lit(True))
    return (
        frame.with_row_index("row", offset=1)
        .filter(cond)
        .select(
            pl.lit(table).alias("table"),
            "row",
            pl.lit(raw).alias("column"),
            pl.col(raw).cast(pl.String).alias("value"),
        )
    )


def describe_bad_rows(bad: pl.DataFrame) -> str:
    """Counts per table and the first examples."""
    counts = ", ".join(f"{n} in {t}" for t, n in bad.group_by("table", maintain_order=True).len().rows())
    examples = "; ".join(
        f"{t} row {r}, column {c!r}, value {v!r}" for t, r, c, v in bad.head(MAX_EXAMPLES).rows()
    )
    return f"{bad.height} row(s) with a missing or unparseable timestamp ({counts}). First: {examples}"


def read_delivery(
    deployments: str | Path,
    mapping: DeliveryMapping,
    *,
    changes: str | Path | None = None,
    incidents: str | Path | None = None,
    separator: str | None = None,
    encoding: str | None = None,
    on_bad_rows: BadRowPolicy = "reject",
) -> DeliveryData:
    """Read and normalize the delivery tables; bad timestamps raise (reject) or are set aside."""
    m = mapping
    report: dict[str, Any] = {}
    bad_parts: list[pl.DataFrame] = []

    dep_raw = _read_table(deployments, separator, encoding)
    _check("deployments", dep_raw, [m.deployment_id, m.deployed_at, m.failed, m.change_count])
    dep = dep_raw.with_columns(
        pl.col(m.deployment_id).cast(pl.String).alias("__id"),
        _timestamp(dep_raw, m.deployed_at, m.timestamp_format).alias("__at"),
    )
    bad_parts.append(_bad(dep, "__at", m.deployed_at, "deployments"))
    report["deployment_rows"] = dep.height
    if m.change_count:
        empty = dep.filter(pl.col(m.change_count).cast(pl.Int64, strict=False).fill_null(1) == 0)
        report["empty_deployments_left_out"] = empty.height
        dep = dep.filter(pl.col(m.change_count).cast(pl.Int64, strict=False).fill_null(1) != 0)
    dep_out = (
        dep.filter(pl.col("__at").is_not_null())
        .select(
            pl.col("__id").alias("id"),
            pl.col("__at").alias("deployed_at"),
            (_truthy(m.failed) if m.failed else pl.lit(False)).alias("failed"),
        )
        .sort("deployed_at", "id")
    )

    chg_out = None
    if changes is not None:
        if not m.change_created_at or not (m.change_deployed_at or m.change_deployment):
            raise DeliveryError(
                "the change mapping needs the creation time column and the production time "
                "(or deployment id) column"
            )
        chg_raw = _read_table(changes, separator, encoding)
        _check(
            "changes",
            chg_raw,
            [m.change_id, m.change_created_at, m.change_deployed_at, m.change_deployment, m.change_exclude],
        )
        chg = chg_raw.with_columns(
            _timestamp(chg_raw, m.change_created_at, m.timestamp_format).alias("__created")
        )
        bad_parts.append(_bad(chg, "__created", m.change_created_at, "changes"))
        if m.change_deployed_at:
            chg = chg.with_columns(
                _timestamp(chg_raw, m.change_deployed_at, m.timestamp_format).alias("__dep")
            )
            # Not yet deployed is normal (null); an unparseable value is not.
            bad_parts.append(_bad(chg, "__dep", m.change_deployed_at, "changes", required=False))
        else:
            times = dep_out.select(
                pl.col("id").alias(m.change_deployment), pl.col("deployed_at").alias("__dep")
            )
            chg = chg.with_columns(pl.col(m.change_deployment).cast(pl.String)).join(
                times, on=m.change_deployment, how="left"
            )
        report["change_rows"] = chg.height
        if m.change_exclude:
            excluded = chg.filter(_truthy(m.change_exclude))
            report["changes_left_out"] = excluded.height
            chg = chg.filter(~_truthy(m.change_exclude))
        chg_out = chg.filter(pl.col("__created").is_not_null()).select(
            (
                pl.col(m.change_id).cast(pl.String) if m.change_id else pl.int_range(pl.len()).cast(pl.String)
            ).alias("id"),
            pl.col("__created").alias("created_at"),
            pl.col("__dep").alias("deployed_at"),
        )
        report["changes_not_deployed"] = chg_out.filter(pl.col("deployed_at").is_null()).height

    inc_out = None
    if incidents is not None:
        if not (m.incident_start and m.incident_restored):
            raise DeliveryError("the incident mapping needs the start and the restored time columns")
        inc_raw = _read_table(incidents, separator, encoding)
        _check("incidents", inc_raw, [m.incident_start, m.incident_restored])
        inc = inc_raw.with_columns(
            _timestamp(inc_raw, m.incident_start, m.timestamp_format).alias("__start"),
            _timestamp(inc_raw, m.incident_restored, m.timestamp_format).alias("__restored"),
        )
        bad_parts.append(_bad(inc, "__start", m.incident_start, "incidents"))
        bad_parts.append(_bad(inc, "__restored", m.incident_restored, "incidents", required=False))
        inc_out = inc.filter(pl.col("__start").is_not_null()).select(
            pl.col("__start").alias("start"), pl.col("__restored").alias("restored")
        )

    bad = pl.concat(bad_parts)
    if bad.height and on_bad_rows == "reject":
        raise DeliveryError(describe_bad_rows(bad) + " (choose quarantine to set them aside)")
    if dep_out.height == 0:
        raise DeliveryError("no deployments: every deployment row is empty or has no valid time")
    report.update(
        deployments=dep_out.height,
        failed_deployments=int(dep_out["failed"].sum()),
        changes=chg_out.height if chg_out is not None else 0,
        incidents=inc_out.height if inc_out is not None else 0,
        bad_rows=bad.height,
        bad_row_examples=[dict(zip(bad.columns, r, strict=True)) for r in bad.head(MAX_EXAMPLES).rows()],
        first_deployment=dep_out["deployed_at"].min(),
        last_deployment=dep_out["deployed_at"].max(),
    )
    return DeliveryData(dep_out, chg_out, inc_out, report)


# ---------------------------------------------------------------- metrics


def _hours(expr: pl.Expr) -> pl.Expr:
    return expr.dt.total_seconds().cast(pl.Float64) / 3600


def _utc(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def restore_times(data: DeliveryData, restore_proxy: bool) -> pl.DataFrame:
    """(start, hours) of each restore: incidents if given, else failed deployment -> next deployment."""
    if data.incidents is not None and data.incidents.height:
        return data.incidents.filter(pl.col("restored").is_not_null()).select(
            "start", _hours(pl.col("restored") - pl.col("start")).alias("hours")
        )
    if not restore_proxy:
        return pl.DataFrame(schema={"start": pl.Datetime("us", "UTC"), "hours": pl.Float64})
    dep = data.deployments.sort("deployed_at", "id")
    return (
        dep.with_columns(pl.col("deployed_at").shift(-1).alias("next"))
        .filter(pl.col("failed") & pl.col("next").is_not_null())
        .select(
            pl.col("deployed_at").alias("start"),
            _hours(pl.col("next") - pl.col("deployed_at")).alias("hours"),
        )
    )


def lead_times(data: DeliveryData) -> pl.DataFrame:
    """(deployed_at, hours) per deployed change; negative lead times (clock skew) are left out."""
    if data.changes is None:
        return pl.DataFrame(schema={"deployed_at": pl.Datetime("us", "UTC"), "hours": pl.Float64})
    return (
        data.changes.filter(pl.col("deployed_at").is_not_null())
        .select("deployed_at", _hours(pl.col("deployed_at") - pl.col("created_at")).alias("hours"))
        .filter(pl.col("hours") >= 0)
    )


def _metrics(deps: pl.DataFrame, leads: pl.DataFrame, restores: pl.DataFrame, days: float) -> dict[str, Any]:
    """The four keys over one window of ``days`` days."""
    n = deps.height
    failed = int(deps["failed"].sum()) if n else 0
    lt = leads["hours"]
    ttr = restores["hours"]
    values = {
        "deployments": n,
        "failed_deployments": failed,
        "changes": leads.height,
        "restores": restores.height,
        "deployment_frequency": n / (days / 7) if days > 0 else None,
        "lead_time_for_changes": float(lt.median()) if lt.len() else None,
        "lead_time_p90": float(lt.quantile(0.9, interpolation="linear")) if lt.len() else None,
        "change_failure_rate": 100 * failed / n if n else None,
        "time_to_restore": float(ttr.median()) if ttr.len() else None,
    }
    values["bands"] = {k: band(k, values[k]) for k in BANDS}
    return values


def compute(
    data: DeliveryData,
    *,
    every: str = "month",
    start: dt.datetime | dt.date | None = None,
    end: dt.datetime | dt.date | None = None,
    restore_proxy: bool = False,
) -> dict[str, Any]:
    """The four keys over [start, end) (default: first to last deployment) and per period.

    ``every`` is week, month or quarter. Deployment frequency counts the days of each period
    inside the window, so partial first and last periods are not understated.
    """
    if every not in EVERY:
        raise DeliveryError(f"every must be one of {sorted(EVERY)}, not {every!r}")
    dep = data.deployments
    first, last = dep["deployed_at"].min(), dep["deployed_at"].max()
    lo = _utc(start) or first
    hi = _utc(end) or (last + dt.timedelta(seconds=1))
    in_window = (pl.col("deployed_at") >= lo) & (pl.col("deployed_at") < hi)
    deps = dep.filter(in_window)
    leads = lead_times(data).filter(in_window)
    restores = restore_times(data, restore_proxy).filter((pl.col("start") >= lo) & (pl.col("start") < hi))
    days = max((hi - lo).total_seconds() / 86400, 1.0)
    overall = _metrics(deps, leads, restores, days)

    periods = []
    if hi > lo:
        step = EVERY[every]
        edges = pl.datetime_range(
            pl.lit(lo).dt.truncate(step), hi, step, time_unit="us", time_zone="UTC", eager=True
        ).to_list()
        edges = [e for e in edges if e < hi]
        key = {
            "deployed_at": pl.col("deployed_at").dt.truncate(step),
            "start": pl.col("start").dt.truncate(step),
        }
        deps_p = deps.with_columns(key["deployed_at"].alias("p")).partition_by("p", as_dict=True)
        leads_p = leads.with_columns(key["deployed_at"].alias("p")).partition_by("p", as_dict=True)
        rest_p = restores.with_columns(key["start"].alias("p")).partition_by("p", as_dict=True)
        empty_d, empty_l, empty_r = deps.clear(), leads.clear(), restores.clear()
        for i, p_start in enumerate(edges):
            p_end = (
                edges[i + 1] if i + 1 < len(edges) else pl.select(pl.lit(p_start).dt.offset_by(step)).item()
            )
            overlap = (min(p_end, hi) - max(p_start, lo)).total_seconds() / 86400
            row = _metrics(
                deps_p.get((p_start,), empty_d),
                leads_p.get((p_start,), empty_l),
                rest_p.get((p_start,), empty_r),
                max(overlap, 1 / 24),
            )
            periods.append({"period": period_label(p_start, every), "start": p_start, **row})
    return {
        "window": {"start": lo, "end": hi, "days": days},
        "every": every,
        "restore_source": "incidents"
        if data.incidents is not None and data.incidents.height
        else ("next_deployment" if restore_proxy else None),
        "overall": overall,
        "periods": periods,
    }


def period_label(start: dt.datetime, every: str) -> str:
    """2026-W09, 2026-03 or 2026-Q1 (the KPI catalogue's period texts)."""
    if every == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if every == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"
