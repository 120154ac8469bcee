"""Findings: known values on a small synthetic log, and ranking on the shared logs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine import findings, process
from portolan.engine.eventlog import PRESETS, read_log
from portolan.engine.findings import FindingsConfig, detect
from tests.shared_data import SHARED_DATA

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

DATA = SHARED_DATA / "itsm"


def synthetic() -> pl.DataFrame:
    """Two of ten cases bounce A <-> B three times (10 h, 12 h), rework 'Active' and escalate to L2;
    the eight others stay with A at L1 and take 2 h."""
    rows = []
    bouncing = {"c1": 10.0, "c2": 12.0}
    for i in range(10):
        case = f"c{i}"
        start = 24.0 * i
        if case in bouncing:
            steps = [
                ("New", "A", "L1"),
                ("Active", "B", "L2"),
                ("Wait", "A", "L1"),
                ("Active", "B", "L2"),
                ("Closed", "B", "L2"),
            ]
            hours = [0, 1, 2, 3, bouncing[case]]
        else:
            steps = [("New", "A", "L1"), ("Active", "A", "L1"), ("Closed", "A", "L1")]
            hours = [0, 1, 2]
        rows += [(case, act, start + h, grp, lvl) for (act, grp, lvl), h in zip(steps, hours, strict=True)]
    frame = pl.DataFrame(
        {
            "row": range(1, len(rows) + 1),
            "case": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [T0 + dt.timedelta(hours=r[2]) for r in rows],
            "resource": [None] * len(rows),
            "group": [r[3] for r in rows],
            "level": [r[4] for r in rows],
        },
        schema_overrides={"timestamp": pl.Datetime("us", "UTC"), "resource": pl.String},
    )
    return frame.sort(["case", "timestamp", "row"])


CONFIG = FindingsConfig(
    level_attribute="level", first_level_target=0.9, sla_target_s=4 * 3600, min_driver_cases=1
)


@pytest.fixture(scope="module")
def found() -> dict[str, list[findings.Finding]]:
    by_code: dict[str, list[findings.Finding]] = {}
    for f in detect(synthetic(), CONFIG):
        by_code.setdefault(f.code, []).append(f)
    return by_code


def months() -> float:
    return process.log_months(synthetic())


def test_reassignment_known_values(found: dict[str, list[findings.Finding]]) -> None:
    (f,) = found["reassignment"]
    assert f.share_of_cases == 0.2 and f.evidence_total == 2
    assert f.evidence_case_ids == ["c2", "c1"]  # largest excess first
    assert f.impact_hours_per_month == round((8 + 10) / months(), 1)
    assert f.details["median_duration_ratio"] == 5.5
    assert f.title.startswith("Incidents reassigned 3+ times: 20% of volume, median resolution 5.5× longer")
    assert f.kpi == "reassignment_rate"


def test_ping_pong_names_the_pair(found: dict[str, list[findings.Finding]]) -> None:
    (f,) = found["ping_pong"]
    assert f.title.startswith("Ping-pong between A and B in 20.0% of cases")
    assert f.details["groups"] == ["A", "B"] and f.evidence_total == 2


def test_push_to_front(found: dict[str, list[findings.Finding]]) -> None:
    (f,) = found["push_to_front"]
    assert f.title.startswith("L1 closes only 80% of incidents (push-to-front)")
    assert f.kpi == "first_line_resolution_rate" and f.share_of_cases == 0.2


def test_rework_and_sla(found: dict[str, list[findings.Finding]]) -> None:
    (rw,) = found["rework"]
    assert "20% of cases return to an earlier step (most often 'Active', 2 cases)" in rw.title
    (sla,) = found["sla_breach"]
    assert sla.title.startswith(
        "SLA met in 80% of cases; incidents involving B breach 5.0× as often (100% of 2)"
    )
    # excess over the median compliant case (2 h): 8 h + 10 h
    assert sla.impact_hours_per_month == round(18 / months(), 1)


def test_bottleneck_is_the_largest_total_wait(found: dict[str, list[findings.Finding]]) -> None:
    (f,) = found["bottleneck"]
    assert (f.details["activity"], f.details["next_activity"]) == ("Active", "Closed")
    assert f.kpi == "mttr"


def test_no_reopen_finding_without_reopens(found: dict[str, list[findings.Finding]]) -> None:
    assert "reopen" not in found


def test_findings_ranked_by_impact() -> None:
    impacts = [f.impact_hours_per_month for f in detect(synthetic(), CONFIG)]
    assert impacts == sorted(impacts, reverse=True)


def test_no_groups_no_group_findings() -> None:
    frame = synthetic().with_columns(pl.lit(None, pl.String).alias("group"))
    codes = {f.code for f in detect(frame, FindingsConfig())}
    assert codes.isdisjoint({"reassignment", "ping_pong", "sla_breach"})


def test_empty_frame_has_no_findings() -> None:
    assert detect(synthetic().clear()) == []


@pytest.mark.parametrize(
    ("zip_path", "preset", "expected"),
    [
        (
            DATA / "servicenow-incidents" / "incident_event_log.zip",
            "servicenow",
            {"reassignment", "sla_breach"},
        ),
        (DATA / "volvo-incidents" / "volvo-it-incidents-bpic2013.zip", "vinst", {"push_to_front", "rework"}),
    ],
)
def test_shared_logs_produce_quantified_findings(zip_path: Path, preset: str, expected: set[str]) -> None:
    found = detect(read_log(zip_path, PRESETS[preset]).frame, findings.CONFIG_PRESETS[preset])
    assert expected <= {f.code for f in found}
    for f in found:
        assert f.impact_hours_per_month >= 0 and 0 < f.share_of_cases <= 1
        assert 0 < len(f.evidence_case_ids) <= f.evidence_total
        assert any(ch.isdigit() for ch in f.title)


def test_a_ratio_over_very_short_cases_is_told_as_two_medians() -> None:
    """651× longer says less than '9.6 days against 21 min': past 20×, or when the other cases
    take under an hour, a finding gives both medians instead of their ratio."""
    from portolan.engine.findings import Excess

    assert Excess(2.6, 10.0, [], 3, median_s=2.6 * 7200, baseline_s=7200).longer == "2.6× longer"
    short = Excess(651.4, 10.0, [], 3, median_s=9.6 * 86400, baseline_s=21 * 60)
    assert short.longer == "a median of 9.6 days against 21 min"
    assert not Excess(25.0, 1.0, [], 1, median_s=25 * 7200, baseline_s=7200).readable_ratio


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 5)), min_size=0, max_size=40, unique_by=lambda r: r[0]
    ),
    st.integers(0, 12),
)
def test_top_cases_is_the_head_of_a_full_sort(rows: list[tuple[int, int]], k: int) -> None:
    """Largest values first, ties by case id, also when the k-th value is tied."""
    frame = pl.DataFrame(
        {"case": [f"c{c:02d}" for c, _ in rows], "excess_s": [float(v) for _, v in rows]},
        schema={"case": pl.String, "excess_s": pl.Float64},
    )
    expected = frame.sort(["excess_s", "case"], descending=[True, False])["case"].head(k).to_list()
    assert findings.top_cases(frame, "excess_s", k) == expected
