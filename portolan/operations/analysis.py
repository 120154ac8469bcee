"""Read side of the operations app: page data computed from the Parquet files, cached as JSON.

Each analysis page asks :func:`page_data` for (event log, page, filters). The filters
(:class:`CaseFilters`) are a time window over case starts, attribute values and a variant; they
come from the URL or the CLI through one helper, :func:`build_filters` (:func:`log_filters` for
a stored log). In the URL::

    ?start=2016-03-01&end=2016-06-01          cases started in [start, end)
    &attr=priority:1 - Critical               cases having this value at some event;
    &attr=priority:2 - High                   several values of one column: any of them,
    &attr=assignment_group:Group 70           several columns: all of them
    &variant=3f2a9c0b1d4e                     cases of one variant (see :func:`variant_id`)

``attr`` names a column as the user knows it: the source column of the mapped group or resource
(``group`` and ``resource`` also work) or an attribute column kept at import; the value follows
the first colon after the column name, so values may contain colons.

The answer is computed once from the log's Parquet with the engine and kept as a JSON file next
to it (``<log folder>/cache/<page>-<filters key>.json``). The unfiltered answers are computed at
import and kept; of the filtered ones, the :data:`MAX_FILTERED_RESULTS` most recently used are
kept per log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from portolan.engine import dora, eventlog, findings, process

PAGES = ("analysis", "bottlenecks", "sla", "workload")
DEFAULT_SLA_HOURS = 120.0
MAX_FILTERED_RESULTS = 60  # filtered page answers kept per log; the least recently used go first
OPTION_VALUES = 30  # most frequent values offered per filterable column
VARIANT_ID_LENGTH = 12
OPTIONS_FILE = "filter-options.json"


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


def read_json(path: Path) -> Any | None:
    """The JSON stored at ``path`` by :func:`write_json`, or ``None`` when there is none yet."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


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


# ---------------------------------------------------------------- case filters


def variant_id(activities: Sequence[str]) -> str:
    """A short stable id of a variant (its activity sequence), for URLs and the CLI."""
    digest = hashlib.sha1(process.VARIANT_SEP.join(activities).encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest()[:VARIANT_ID_LENGTH]


@dataclasses.dataclass(frozen=True)
class CaseFilters:
    """Which cases a page analyses: a time window, attribute values, one variant.

    ``attributes`` holds (column of the normalized frame, values) pairs, sorted, so that equal
    filters have equal keys; ``variant`` is the activity sequence of the variant.
    """

    window: Window = Window()
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    variant: tuple[str, ...] | None = None

    @property
    def narrowed(self) -> bool:
        """True when more than the time window is filtered."""
        return bool(self.attributes) or self.variant is not None

    @property
    def key(self) -> str:
        """The cache key: the window's alone when nothing else is filtered (as before)."""
        if not self.narrowed:
            return self.window.key
        canonical = json.dumps([self.attributes, self.variant], ensure_ascii=False)
        digest = hashlib.sha1(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
        return f"{self.window.key}-{digest}"

    def engine(self) -> process.Filters | None:
        """The engine's filters (None for the whole log)."""
        window = self.window.filters()
        if window is None and not self.narrowed:
            return None
        return process.Filters(
            start=window.start if window else None,
            end=window.end if window else None,
            attributes={column: list(values) for column, values in self.attributes},
            variant=list(self.variant) if self.variant is not None else None,
        )


def filter_columns(mapping: Mapping[str, Any]) -> dict[str, str]:
    """A log's filterable columns: name the user knows (source column) -> normalized column.

    The mapped group and resource (under their source names) and every attribute column.
    """
    columns: dict[str, str] = {}
    for key in ("group", "resource"):
        if mapping.get(key):
            columns[mapping[key]] = key
    for attribute in mapping.get("attributes") or ():
        columns.setdefault(attribute, attribute)
    return columns


def split_filter(text: str, names: Iterable[str], sep: str = ":") -> tuple[str, str] | None:
    """``column<sep>value`` split after the longest known column name (values may contain ``sep``),
    else at the first ``sep``; None without any ``sep``."""
    for name in sorted(names, key=len, reverse=True):
        if text.startswith(name + sep):
            return name, text[len(name) + len(sep) :]
    name, found, value = text.partition(sep)
    return (name, value) if found else None


def present_values(frame: pl.LazyFrame, column: str, values: Sequence[str]) -> set[str]:
    """Which of ``values`` occur (as text) in ``column`` of a normalized log."""
    found = (
        frame.select(pl.col(column).cast(pl.String).alias("v"))
        .filter(pl.col("v").is_in(list(values)))
        .unique()
        .collect()
    )
    return set(found["v"].to_list())


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def build_filters(
    frame: pl.LazyFrame,
    columns: Mapping[str, str],
    *,
    window: Window = Window(),
    attributes: Iterable[tuple[str, str]] = (),
    variant: str = "",
    variants: Callable[[], Iterable[Sequence[str]]],
) -> tuple[CaseFilters, list[str]]:
    """The one place where requested filters become :class:`CaseFilters` (pages and CLI).

    ``attributes`` are (column name as the user knows it, value) pairs; ``variant`` is a
    :func:`variant_id`; ``variants`` lists the log's activity sequences (asked only for a
    variant filter). Unknown columns, values and variants are left out, each with a message.
    """
    errors: list[str] = []
    aliases = {**columns, **{c: c for c in columns.values() if c in ("group", "resource")}}
    chosen: dict[str, list[str]] = {}
    for name, value in attributes:
        column = aliases.get(name)
        if column is None:
            errors.append(f"Unknown filter column {name!r}; this log can be filtered by {_quoted(columns)}.")
        elif value not in chosen.setdefault(column, []):
            chosen[column].append(value)
    label = {c: n for n, c in columns.items()}
    for column, values in list(chosen.items()):
        present = present_values(frame, column, values)
        for value in values:
            if value not in present:
                errors.append(f"No case has {label[column]} = {value!r}; that filter was left out.")
        chosen[column] = [v for v in values if v in present]
        if not chosen[column]:
            del chosen[column]
    sequence = None
    if variant:
        sequence = next((tuple(s) for s in variants() if variant_id(s) == variant), None)
        if sequence is None:
            errors.append(f"Unknown variant {variant!r}; pick one in the variants explorer.")
    filters = CaseFilters(
        window=window,
        attributes=tuple(sorted((c, tuple(sorted(v))) for c, v in chosen.items())),
        variant=sequence,
    )
    return filters, errors


def log_filters(
    log, window: Window = Window(), attributes: Iterable[str] = (), variant: str = ""
) -> tuple[CaseFilters, list[str]]:
    """:func:`build_filters` for a stored log, from URL values (``attr=column:value``)."""
    columns = filter_columns(log.mapping)
    pairs: list[tuple[str, str]] = []
    errors: list[str] = []
    for text in attributes:
        pair = split_filter(text, [*columns, "group", "resource"])
        if pair is None:
            errors.append(
                f"Cannot read the filter {text!r}: write column:value, the column one of {_quoted(columns)}."
            )
        else:
            pairs.append(pair)
    filters, more = build_filters(
        eventlog.read_normalized(log.parquet) if pairs else pl.LazyFrame(),
        columns,
        window=window,
        attributes=pairs,
        variant=variant,
        variants=lambda: (v["activities"] for v in page_data(log, "analysis", CaseFilters())["variants"]),
    )
    return filters, errors + more


def filter_options(log) -> list[dict[str, Any]]:
    """The filterable columns of a log with their most frequent values (by cases), cached."""
    path = log.folder / "cache" / OPTIONS_FILE
    if (cached := read_json(path)) is not None:
        return cached
    lf = eventlog.read_normalized(log.parquet)
    names = lf.collect_schema().names()
    columns = {n: c for n, c in filter_columns(log.mapping).items() if c in names}
    queries = [
        lf.select("case", pl.col(column).cast(pl.String).alias("value"))
        .drop_nulls()
        .unique()
        .group_by("value")
        .agg(pl.len().alias("cases"))
        .sort(["cases", "value"], descending=[True, False])
        .head(OPTION_VALUES)
        for column in columns.values()
    ]
    options = [
        {"name": name, "column": column, "values": frame.to_dicts()}
        for (name, column), frame in zip(columns.items(), pl.collect_all(queries), strict=True)
        if frame.height
    ]
    write_json(path, options)
    return options


# ---------------------------------------------------------------- page data


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def _case_filters(filters: CaseFilters | Window) -> CaseFilters:
    return CaseFilters(window=filters) if isinstance(filters, Window) else filters


def compute_page(
    frame: pl.DataFrame, page: str, filters: CaseFilters | Window, preset: str = ""
) -> dict[str, Any]:
    """One page's data from a normalized log (engine calls only)."""
    engine_filters = _case_filters(filters).engine()
    if page == "analysis":
        return process.analyze(frame, engine_filters)
    lf = process.apply_filters(frame, engine_filters).collect()
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


def cache_path(folder: Path, page: str, filters: CaseFilters | Window) -> Path:
    return folder / "cache" / f"{page}-{_case_filters(filters).key}.json"


def _prune_cache(folder: Path, keep: int | None = None) -> None:
    """Keep the ``keep`` most recently used filtered answers (whole-log ones always stay)."""
    keep = MAX_FILTERED_RESULTS if keep is None else keep
    whole = f"-{Window().key}.json"
    entries = []
    for path in (folder / "cache").glob("*.json"):
        if path.name.endswith(whole) or path.name == OPTIONS_FILE:
            continue
        try:
            entries.append((path.stat().st_mtime, path))
        except FileNotFoundError:
            continue
    entries.sort(reverse=True)
    for _, path in entries[keep:]:
        path.unlink(missing_ok=True)


def page_data(log, page: str, filters: CaseFilters | Window) -> dict[str, Any]:
    """The cached page data of an EventLog for some filters; computed and stored on first use."""
    filters = _case_filters(filters)
    path = cache_path(log.folder, page, filters)
    if (cached := read_json(path)) is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: pruned last
        return cached
    frame = eventlog.read_normalized(log.parquet).collect()
    data = jsonable(compute_page(frame, page, filters, log.preset))
    write_json(path, data)
    _prune_cache(log.folder)
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
    if (cached := read_json(path)) is not None:
        return cached
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
