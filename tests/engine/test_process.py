"""Process analyses: parity with pm4py on both shared logs, known values and invariants."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine import process, traces
from portolan.engine.eventlog import PRESETS, read_log
from portolan.engine.process import Filters, analyze
from tests.shared_data import SHARED_DATA

HERE = Path(__file__).resolve().parent
DATA = SHARED_DATA / "itsm"
LOGS = {
    "servicenow": (DATA / "servicenow-incidents" / "incident_event_log.zip", "servicenow"),
    "volvo": (DATA / "volvo-incidents" / "volvo-it-incidents-bpic2013.zip", "vinst"),
}
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def make_log(events: list[tuple[str, str, float, str | None]]) -> pl.DataFrame:
    """A normalized log from (case, activity, hours after T0, group) in file order."""
    frame = pl.DataFrame(
        {
            "row": list(range(1, len(events) + 1)),
            "case": [e[0] for e in events],
            "activity": [e[1] for e in events],
            "timestamp": [T0 + dt.timedelta(hours=e[2]) for e in events],
            "resource": [None] * len(events),
            "group": [e[3] for e in events],
        },
        schema_overrides={"timestamp": pl.Datetime("us", "UTC"), "resource": pl.String, "group": pl.String},
    )
    return frame.sort(["case", "timestamp", "row"])


@pytest.fixture(scope="module", params=sorted(LOGS))
def parity(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    path, preset = LOGS[request.param]
    reference = json.loads((HERE / "data" / f"pm4py_reference_{request.param}.json").read_text())
    return analyze(read_log(path, PRESETS[preset]).frame), reference


def test_counts_and_dfg_match_pm4py(parity: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours, ref = parity
    assert (ours["events"], ours["cases"]) == (ref["events"], ref["cases"])
    assert sorted(ours["dfg"]) == ref["dfg"]


def test_start_and_end_activities_match_pm4py(parity: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours, ref = parity
    assert ours["start_activities"] == ref["start_activities"]
    assert ours["end_activities"] == ref["end_activities"]


def test_variants_match_pm4py(parity: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours, ref = parity
    counts = {tuple(v["activities"]): v["count"] for v in ours["variants"]}
    assert len(counts) == ref["variant_count"]
    assert all(counts[tuple(v["activities"])] == v["count"] for v in ref["variants"])
    pairs = sorted([v["activities"], v["count"]] for v in ours["variants"])
    assert hashlib.sha256(json.dumps(pairs).encode()).hexdigest() == ref["variants_sha256"]


def test_performance_dfg_matches_pm4py(parity: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours, ref = parity
    perf = {(a, b): (mean, median) for a, b, mean, median in ours["performance_dfg"]}
    assert len(perf) == len(ref["performance_dfg"])
    for a, b, mean, median in ref["performance_dfg"]:
        assert math.isclose(perf[a, b][0], mean, rel_tol=1e-6, abs_tol=1e-9), (a, b)
        assert math.isclose(perf[a, b][1], median, rel_tol=1e-6, abs_tol=1e-9), (a, b)


def test_case_durations_match_pm4py(parity: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ours, ref = parity
    for key in ("mean", "median", "p90"):
        assert math.isclose(
            ours["case_duration_seconds"][key], ref["case_duration_seconds"][key], rel_tol=1e-9
        )


def test_one_event_cases() -> None:
    result = analyze(make_log([("a", "X", 0, None), ("b", "Y", 5, None)]))
    assert result["dfg"] == [] and result["performance_dfg"] == []
    assert result["start_activities"] == result["end_activities"] == {"X": 1, "Y": 1}
    assert result["case_duration_seconds"] == {"mean": 0.0, "median": 0.0, "p90": 0.0}


def test_out_of_order_and_duplicate_events() -> None:
    log = make_log([("a", "C", 2, None), ("a", "A", 0, None), ("a", "B", 1, None), ("a", "B", 1, None)])
    result = analyze(log)
    assert result["variants"][0]["activities"] == ["A", "B", "B", "C"]
    assert sorted(result["dfg"]) == [["A", "B", 1], ["B", "B", 1], ["B", "C", 1]]
    assert sorted(result["performance_dfg"]) == [
        ["A", "B", 3600.0, 3600.0],
        ["B", "B", 0.0, 0.0],
        ["B", "C", 3600.0, 3600.0],
    ]


def test_known_values_small_log() -> None:
    log = make_log(
        [
            ("1", "A", 0, None),
            ("1", "B", 1, None),
            ("1", "C", 3, None),
            ("2", "A", 0, None),
            ("2", "B", 3, None),
        ]
    )
    result = analyze(log)
    assert result["dfg"] == [["A", "B", 2], ["B", "C", 1]]
    assert result["performance_dfg"][0] == ["A", "B", 7200.0, 7200.0]
    assert result["case_duration_seconds"]["median"] == 3 * 3600
    assert result["variants"][0] == {
        "activities": ["A", "B"],
        "count": 1,
        "share": 0.5,
        "median_duration_seconds": 10800.0,
    }


case_events = st.lists(st.tuples(st.sampled_from("ABCD"), st.integers(0, 50)), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(case_events, min_size=1, max_size=12))
def test_dfg_and_variant_invariants(cases: list[list[tuple[str, int]]]) -> None:
    events = [(f"c{i}", act, float(h), None) for i, evs in enumerate(cases) for act, h in evs]
    result = analyze(make_log(events))
    assert sum(n for _, _, n in result["dfg"]) == len(events) - len(cases)
    assert sum(v["count"] for v in result["variants"]) == len(cases) == result["cases"]
    assert sum(result["start_activities"].values()) == sum(result["end_activities"].values()) == len(cases)


GROUPED = [
    ("1", "New", 0, "L1"),
    ("1", "Active", 1, "L2"),
    ("1", "Active", 2, "L1"),
    ("1", "Active", 3, "L2"),
    ("1", "Resolved", 4, "L2"),
    ("1", "Active", 5, "L2"),
    ("1", "Closed", 6, "L2"),
    ("2", "New", 0, "L1"),
    ("2", "Resolved", 2, "L1"),
    ("2", "Closed", 3, "L1"),
]


def test_group_changes_ping_pong_and_reassignment() -> None:
    log = make_log(GROUPED)
    changes = dict(process.group_changes(log).select("case", "group_changes").rows())
    assert changes == {"1": 3, "2": 0}
    pp = process.ping_pong(log)
    assert pp.select("group_a", "group_b", "cases", "share").rows() == [("L1", "L2", 1, 0.5)]
    effect = process.reassignment_effect(log, cap=2)
    assert effect.select("changes", "cases", "median_duration_s").rows() == [
        (0, 1, 3 * 3600.0),
        (2, 1, 6 * 3600.0),
    ]


def test_rework_ignores_self_loops() -> None:
    rw = process.rework(make_log(GROUPED))
    assert rw["rework_cases"] == ["1"] and rw["share"] == 0.5
    assert rw["by_activity"].rows() == [("Active", 1)]


def test_reopen_detected_after_resolved_and_by_name() -> None:
    log = make_log(GROUPED)
    assert process.reopens(log) == {"closed_cases": 2, "reopened_cases": ["1"], "rate": 0.5}
    assert process.reopens(log, reopen_activity="New")["reopened_cases"] == ["1", "2"]


def test_sla_targets_compliance_and_drivers() -> None:
    log = make_log(GROUPED).with_columns(pl.Series("priority", ["P1"] * 7 + ["P2"] * 3))
    per_case = process.sla_cases(log, target_s={"P1": 4 * 3600, "P2": 4 * 3600}, priority="priority")
    assert dict(per_case.select("case", "met").rows()) == {"1": False, "2": True}
    assert process.sla_compliance(per_case)["compliance"].item() == 0.5
    assert process.sla_compliance(per_case, "priority").sort("priority")["compliance"].to_list() == [0.0, 1.0]
    drivers = process.sla_drivers(log, per_case, "group", min_cases=1)
    assert drivers.select("group", "breach_rate", "lift").rows()[0] == ("L2", 1.0, 2.0)


def test_sla_from_flag_attribute() -> None:
    log = make_log(GROUPED).with_columns(pl.Series("made_sla", ["true"] * 7 + ["false"] * 3))
    per_case = process.sla_cases(log, met_attribute="made_sla")
    assert dict(per_case.select("case", "met").rows()) == {"1": True, "2": False}


def test_sla_flag_is_each_cases_last_value_given() -> None:
    """The last non-missing value counts; a case that never gives one has no verdict."""
    events = [("a", "X", 0, None), ("a", "Y", 1, None), ("b", "X", 0, None), ("b", "Y", 1, None)]
    events += [("c", "X", 0, None)]
    log = make_log(events).with_columns(pl.Series("made_sla", ["false", None, None, None, "true"]))
    log = log.with_columns(pl.Series("priority", ["P1", "P2", None, None, None]))
    per_case = process.sla_cases(log, met_attribute="made_sla", priority="priority").sort("case")
    assert per_case.select("case", "met", "priority").rows() == [
        ("a", False, "P2"),
        ("b", None, None),
        ("c", True, None),
    ]


def test_bottlenecks_and_activity_times() -> None:
    log = make_log(GROUPED)
    top = process.bottlenecks(log, top=1).row(0, named=True)
    assert (top["activity"], top["next_activity"], top["total_s"]) == ("Active", "Active", 7200.0)
    times = dict(process.activity_times(log).select("activity", "total_s").rows())
    assert times["New"] == 3 * 3600 and times["Resolved"] == 2 * 3600


def test_arrivals_closures_backlog_and_age() -> None:
    log = make_log([("1", "A", 0, None), ("1", "B", 50, None), ("2", "A", 1, None), ("2", "B", 2, None)])
    table = process.arrivals_closures(log, every="1d")
    assert table.select("opened", "closed", "backlog").rows() == [(2, 1, 1), (0, 0, 1), (0, 1, 0)]
    assert table["backlog_mean_age_days"].to_list() == [1.0, 2.0, 0.0]


def test_workload_and_throughput() -> None:
    log = make_log(GROUPED)
    load = process.workload(log, by="group")
    assert load.select("group", "events", "cases").rows() == [("L2", 5, 1), ("L1", 5, 2)]
    buckets = {b["bucket"]: b["cases"] for b in analyze(log)["throughput"]}
    assert buckets == {"1-4h": 1, "4-24h": 1}


def test_filters_time_attribute_and_variant() -> None:
    log = make_log(GROUPED + [("3", "New", 48, "L3"), ("3", "Closed", 49, "L3")])
    assert analyze(log, Filters(start=T0 + dt.timedelta(hours=24)))["cases"] == 1
    assert analyze(log, Filters(end=T0 + dt.timedelta(hours=24)))["cases"] == 2
    assert analyze(log, Filters(attributes={"group": ["L2"]}))["cases"] == 1
    only = analyze(log, Filters(variant=["New", "Resolved", "Closed"]))
    assert only["cases"] == 1 and only["variants"][0]["activities"] == ["New", "Resolved", "Closed"]


def test_log_months() -> None:
    assert process.log_months(make_log([("1", "A", 0, None), ("1", "B", 30.4375 * 24, None)])) == 1.0


def _reference_analyze(frame: pl.DataFrame) -> dict[str, Any]:
    """Variants, endpoints, durations and throughput by plain group-bys on the case strings."""
    cases = process.case_table(frame).collect()
    variants = (
        cases.group_by("variant")
        .agg(pl.len().alias("count"), pl.col("duration_s").median().alias("median_duration_s"))
        .with_columns((pl.col("count") / pl.col("count").sum()).alias("share"))
        .sort(["count", "variant"], descending=[True, False])
    )
    d = pl.col("duration_s")
    durations = cases.select(d.mean(), d.median().alias("median"), d.quantile(0.9, "linear").alias("p90"))
    bucket = pl.sum_horizontal((d >= edge).cast(pl.Int32) for edge in traces.DURATION_BINS_S)
    buckets = cases.group_by(bucket.alias("b")).len().sort("b")
    trans = process.with_transitions(frame)
    return {
        "variants": [
            {"activities": v.split(process.VARIANT_SEP), "count": n, "share": s, "median_duration_seconds": m}
            for v, n, m, s in variants.rows()
        ],
        "case_duration_seconds": dict(zip(["mean", "median", "p90"], durations.row(0), strict=True)),
        "throughput": [
            {"bucket": traces.DURATION_LABELS[b], "cases": n, "share": n / cases.height}
            for b, n in buckets.rows()
        ],
        "dfg": [
            list(r)
            for r in process.dfg_frame(trans).select("activity", "next_activity", "count").collect().rows()
        ],
        "start_activities": dict(process._endpoint_counts(trans, "is_first").collect().rows()),
    }


@pytest.mark.parametrize("hashed", [True, False])
def test_fast_analyze_equals_plain_group_bys(hashed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The array analysis equals plain Polars group-bys on the case strings, with variants found
    through trace hashes or, when every trace hashes alike (forced here), by the exact grouping."""
    if not hashed:
        monkeypatch.setattr(traces, "_trace_keys", lambda log: np.zeros(log.starts.size, dtype=np.uint64))
    frame = read_log(LOGS["servicenow"][0], PRESETS["servicenow"]).frame
    ours = analyze(frame)
    reference = _reference_analyze(frame)
    for variant in reference["variants"]:  # Polars divides count by total a last bit differently
        variant["share"] = pytest.approx(variant["share"], rel=1e-15)
    for key, value in reference.items():
        assert ours[key] == value, key


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False))),
        min_size=1,
        max_size=60,
    )
)
def test_group_quantiles_and_means_equal_polars(rows: list[tuple[int, float | None]]) -> None:
    """Per-group median, p90 (linear) and mean, missing values ignored, equal Polars' own."""
    group = np.array([g for g, _ in rows])
    values = np.array([np.nan if v is None else v for _, v in rows])
    selected = traces.Groups.of(values, group, 5, (0.5, 0.9))  # few groups: selection in each
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(traces, "FEW_GROUPS", 0)  # many groups: one full sort
        for groups in (selected, traces.Groups.of(values, group, 5, (0.5, 0.9))):
            _assert_group_stats_equal_polars(groups, group, rows)


def _assert_group_stats_equal_polars(
    groups: traces.Groups, group: np.ndarray, rows: list[tuple[int, float | None]]
) -> None:
    expected = (
        pl.DataFrame({"g": group, "v": [v for _, v in rows]}, schema={"g": pl.Int64, "v": pl.Float64})
        .group_by("g")
        .agg(
            pl.col("v").median().alias("median"),
            pl.col("v").quantile(0.9, interpolation="linear").alias("p90"),
            pl.col("v").mean().alias("mean"),
        )
    )
    for g, median, p90, mean in expected.rows():
        for ours, theirs in ((groups.quantile(0.5)[g], median), (groups.quantile(0.9)[g], p90)):
            assert (np.isnan(ours) and theirs is None) or ours == theirs
        assert (np.isnan(groups.mean()[g]) and mean is None) or groups.mean()[g] == pytest.approx(
            mean, rel=1e-12
        )
    assert set(np.flatnonzero(groups.counts).tolist()) == set(expected["g"].to_list())


def test_events_without_time_count_in_the_dfg_but_not_in_its_times() -> None:
    log = make_log([("1", "A", 0, None), ("1", "B", 1, None), ("1", "C", 3, None), ("2", "A", 0, None)])
    log = log.with_columns(
        pl.when(pl.col("activity") == "B").then(None).otherwise(pl.col("timestamp")).alias("timestamp")
    )
    result = analyze(log)
    assert sorted(result["dfg"]) == [["A", "B", 1], ["B", "C", 1]]
    assert sorted(result["performance_dfg"]) == [["A", "B", None, None], ["B", "C", None, None]]
    assert result["case_duration_seconds"]["mean"] == 1.5 * 3600  # cases of 3 h and 0 h


def test_cases_without_time_stay_out_of_durations_as_in_polars() -> None:
    """Quantiles count their index past the missing values, as Polars does; the throughput
    lists such cases first, in the bucket None, and shares are of all cases."""
    hours = [None, 0, 0, 331.9725, 397.2017, 2626.9242]
    events = [(f"c{i}", "A", 0.0, None) for i in range(len(hours))]
    events += [(f"c{i}", "B", h, None) for i, h in enumerate(hours) if h is not None]
    log = make_log(events).with_columns(
        pl.when(pl.col("case") == "c0").then(None).otherwise(pl.col("timestamp")).alias("timestamp")
    )
    result = analyze(log)
    d = pl.col("duration_s")
    cases = process.case_table(log).collect()
    expected = cases.select(d.median().alias("median"), d.quantile(0.9, "linear").alias("p90"))
    summary = result["case_duration_seconds"]
    assert {k: summary[k] for k in ("median", "p90")} == expected.row(0, named=True)
    assert summary["mean"] == pytest.approx(cases["duration_s"].mean(), rel=1e-15)
    assert result["throughput"][0] == {"bucket": None, "cases": 1, "share": 1 / 6}
    assert sum(row["cases"] for row in result["throughput"]) == 6


def test_more_activities_than_one_byte_numbers() -> None:
    """300 activities are numbered in 16 bits: every pair, trace and endpoint keeps its names."""
    events = [(f"c{i}", f"A{i:03d}", 0.0, None) for i in range(300)]
    events += [(f"c{i}", f"A{(i + 1) % 300:03d}", 1.0, None) for i in range(300)]
    result = analyze(make_log(events))
    assert result["events"] == 600 and result["cases"] == 300
    pairs = {(a, b) for a, b, _ in result["dfg"]}
    assert pairs == {(f"A{i:03d}", f"A{(i + 1) % 300:03d}") for i in range(300)}
    assert {tuple(v["activities"]) for v in result["variants"]} == pairs
    assert result["start_activities"] == {f"A{i:03d}": 1 for i in range(300)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["New", "Active", "Resolved", "Closed"]), min_size=1, max_size=6), max_size=8
    )
)
def test_reopens_equal_a_per_case_scan(cases: list[list[str]]) -> None:
    """A case is reopened when a non-closing step follows a closing one within it."""
    events = [(f"c{i}", act, float(h), None) for i, acts in enumerate(cases) for h, act in enumerate(acts)]
    if not events:
        return
    closing = {"Resolved", "Closed"}
    reopened = sorted(
        f"c{i}"
        for i, acts in enumerate(cases)
        if any(a not in closing and closing & set(acts[:j]) for j, a in enumerate(acts))
    )
    closed = sum(bool(closing & set(acts)) for acts in cases)
    result = process.reopens(make_log(events))
    assert result["reopened_cases"] == reopened and result["closed_cases"] == closed
