"""Read side of the operations app: page data computed from the Parquet files, cached as JSON.

Each analysis page asks :func:`page_data` for (event log, page, time window). The answer is
computed once from the log's Parquet with the engine and kept as a JSON file next to it
(``<log folder>/cache/<page>-<window>.json``); the unfiltered answers are computed at import,
so opening a page never re-reads the log unless a new time window is asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from portolan.engine import dora, eventlog, findings, process

PAGES = ("analysis", "bottlenecks", "sla", "workload")
DEFAULT_SLA_HOURS = 120.0


def jsonable(value: Any) -> Any:
    """Plain JSON: ISO timestamps, finite floats (NaN/inf become null), lists for tuples."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a concurrent reader sees the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(jsonable(data), fh, ensure_ascii=False)
    os.replace(tmp, path)


@dataclasses.dataclass(frozen=True)
class Window:
    """A time window [start, end) over case starts (event logs) or deployments (DORA)."""

    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def key(self) -> str:
        return f"{self.start or 'min'}_{self.end or 'max'}"

    def filters(self) -> process.Filters | None:
        if self.start is None and self.end is None:
            return None
        as_dt = lambda d: dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC) if d else None  # noqa: E731
        return process.Filters(start=as_dt(self.start), end=as_dt(self.end))


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def compute_page(frame: pl.DataFrame, page: str, window: Window, preset: str = "") -> dict[str, Any]:
    """One page's data from a normalized log (engine calls only)."""
    filters = window.filters()
    if page == "analysis":
        return process.analyze(frame, filters)
    lf = process.apply_filters(frame, filters).collect()
    if lf.height == 0:
        return {"empty": True}
    if page == "bottlenecks":
        return {
            "transitions": _records(process.bottlenecks(lf, top=15)),
            "activities": _records(process.activity_times(lf).head(20)),
        }
    if page == "workload":
        has_groups = lf["group"].null_count() < lf.height
        return {
            "groups": _records(process.workload(lf, "group").head(30)) if has_groups else [],
            "resources": _records(process.workload(lf, "resource").head(30)),
            "reassignment": _records(process.reassignment_effect(lf)) if has_groups else [],
        }
    if page == "sla":
        config = findings.CONFIG_PRESETS.get(preset, findings.FindingsConfig())
        met = config.sla_met_attribute if config.sla_met_attribute in lf.columns else None
        priority = config.sla_priority if config.sla_priority in lf.columns else None
        per_case = process.sla_cases(
            lf, met_attribute=met, target_s=None if met else DEFAULT_SLA_HOURS * 3600, priority=priority
        )
        overall = process.sla_compliance(per_case)
        has_groups = lf["group"].null_count() < lf.height
        return {
            "basis": f"the log's {met!r} attribute"
            if met
            else f"a target of {DEFAULT_SLA_HOURS:g} hours per case",
            "compliance": overall["compliance"][0] if overall.height else None,
            "cases": overall["cases"][0] if overall.height else 0,
            "by_priority": _records(process.sla_compliance(per_case, priority)) if priority else [],
            "drivers": _records(process.sla_drivers(lf, per_case, "group", 30).drop("case_ids").head(15))
            if has_groups
            else [],
            "arrivals": _records(process.arrivals_closures(lf, "1mo")),
        }
    raise ValueError(f"unknown page {page!r}")


def cache_path(folder: Path, page: str, window: Window) -> Path:
    return folder / "cache" / f"{page}-{window.key}.json"


def page_data(log, page: str, window: Window) -> dict[str, Any]:
    """The cached page data of an EventLog for a window; computed and stored on first use."""
    path = cache_path(log.folder, page, window)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    frame = eventlog.read_normalized(log.parquet).collect()
    data = jsonable(compute_page(frame, page, window, log.preset))
    write_json(path, data)
    return data


def cases_events(log, case_ids: list[str], limit: int = 200) -> dict[str, list[dict[str, Any]]]:
    """The events of some cases (evidence drill-down), in case order."""
    lf = eventlog.read_normalized(log.parquet)
    cols = [
        c for c in ("case", "activity", "timestamp", "resource", "group") if c in lf.collect_schema().names()
    ]
    frame = lf.filter(pl.col("case").is_in(case_ids)).select(cols).head(limit * 50).collect()
    out: dict[str, list[dict[str, Any]]] = {c: [] for c in case_ids}
    for row in frame.iter_rows(named=True):
        out.setdefault(row["case"], []).append(row)
    return out


# ---------------------------------------------------------------- DORA


def dora_data(dataset) -> dora.DeliveryData:
    """The normalized delivery tables of a DeliveryDataset."""
    folder = dataset.folder

    def read(name: str) -> pl.DataFrame | None:
        path = folder / f"{name}.parquet"
        return pl.read_parquet(path) if path.exists() else None

    return dora.DeliveryData(read("deployments"), read("changes"), read("incidents"))


def dora_metrics(dataset, every: str, window: Window) -> dict[str, Any]:
    """DORA metrics per period for a window, from the stored JSON or the file cache."""
    if window.start is None and window.end is None and every in dataset.metrics:
        return dataset.metrics[every]
    path = dataset.folder / "cache" / f"dora-{every}-{window.key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        pass
    data = jsonable(
        dora.compute(
            dora_data(dataset),
            every=every,
            start=window.start,
            end=window.end,
            restore_proxy=bool(dataset.mapping.get("restore_proxy")),
        )
    )
    write_json(path, data)
    return data
