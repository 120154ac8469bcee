"""ITSM KPIs from an incident log: known values on a four-case log.

A  opened 01-10, resolved 01-10 10:00 (10 h), one group, P1, SLA met.
B  opened 01-20, handed g1 -> g2, resolved 02-01 12:00 (300 h), P2, SLA breached.
C  opened 01-25, resolved 01-26, reopened 01-27, resolved again 02-03 (216 h), P3, SLA met.
D  opened 02-05, handed g1 -> g2, still open at the end of the log (03-31 23:00), P1.
"""

import datetime as dt

import polars as pl
import pytest

from portolan.engine import findings, itsm_kpis
from portolan.engine.itsm_kpis import ItsmConfig, compute
from portolan.engine.kpi_library import by_code


def ts(month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2024, month, day, hour, tzinfo=dt.UTC)


EVENTS = [
    ("A", "New", ts(1, 10), "g1", "1 - Critical", "true"),
    ("A", "Resolved", ts(1, 10, 10), "g1", "1 - Critical", "true"),
    ("A", "Closed", ts(1, 15), "g1", "1 - Critical", "true"),
    ("B", "New", ts(1, 20), "g1", "2 - High", "true"),
    ("B", "Active", ts(1, 20, 5), "g2", "2 - High", "true"),
    ("B", "Resolved", ts(2, 1, 12), "g2", "2 - High", "false"),
    ("C", "New", ts(1, 25), "g1", "3 - Moderate", "true"),
    ("C", "Resolved", ts(1, 26), "g1", "3 - Moderate", "true"),
    ("C", "Active", ts(1, 27), "g1", "3 - Moderate", "true"),
    ("C", "Resolved", ts(2, 3), "g1", "3 - Moderate", "true"),
    ("C", "Closed", ts(2, 10), "g1", "3 - Moderate", "true"),
    ("D", "New", ts(2, 5), "g1", "1 - Critical", "true"),
    ("D", "Active", ts(2, 6), "g2", "1 - Critical", "true"),
    ("D", "Awaiting User Info", ts(3, 31, 23), "g2", "1 - Critical", "true"),
]


def frame(events=EVENTS) -> pl.DataFrame:
    rows = [
        {
            "row": i,
            "case": c,
            "activity": a,
            "timestamp": t,
            "resource": None,
            "group": g,
            "priority": p,
            "made_sla": m,
        }
        for i, (c, a, t, g, p, m) in enumerate(events, start=1)
    ]
    schema = {
        "row": pl.Int64,
        "case": pl.String,
        "activity": pl.String,
        "timestamp": pl.Datetime("us", "UTC"),
        "resource": pl.String,
        "group": pl.String,
        "priority": pl.String,
        "made_sla": pl.String,
    }
    return pl.DataFrame(rows, schema=schema).sort("case", "timestamp", "row")


SERVICENOW_LIKE = ItsmConfig(priority="priority", sla_met_attribute="made_sla", min_cases=1, min_coverage=0.0)


def test_monthly_values_by_hand():
    out = compute(frame(), SERVICENOW_LIKE)
    assert out.values["INC_VOLUME"] == [("2024-01", 3), ("2024-02", 1), ("2024-03", 0)]
    assert out.values["INC_P1"] == [("2024-01", 1), ("2024-02", 1), ("2024-03", 0)]
    assert out.values["INC_P2"] == [("2024-01", 1), ("2024-02", 0), ("2024-03", 0)]
    # Resolution month: A in January; B and C (final resolution, after the reopen) in February.
    assert out.values["MTTR"] == [("2024-01", 10.0), ("2024-02", 258.0)]  # (300 + 216) / 2
    assert out.values["SLA_COMPL"] == [("2024-01", 100.0), ("2024-02", 50.0)]
    assert out.values["REASSIGN"] == [("2024-01", 0.0), ("2024-02", 50.0)]
    assert out.values["REOPEN"] == [("2024-01", 0.0), ("2024-02", 50.0)]
    assert out.values["FCR"] == [("2024-01", 100.0), ("2024-02", 50.0)]
    # Open at 02-01: B (12 d) and C (7 d, reopened); at 03-01: D (25 d); at 04-01: D (56 d).
    assert out.values["BACKLOG_AGE"] == [("2024-01", 9.5), ("2024-02", 25.0), ("2024-03", 56.0)]
    assert set(out.unsupported) == {"MTBF", "SLA_RESP"}


def test_units_match_the_library():
    library = by_code()
    assert (library["MTTR"].unit, library["BACKLOG_AGE"].unit) == ("hours", "days")
    assert {library[c].unit for c in ("SLA_COMPL", "REASSIGN", "REOPEN", "FCR")} == {"%"}
    assert {library[c].unit for c in ("INC_VOLUME", "INC_P1", "INC_P2")} == {"count"}
    assert set(itsm_kpis.CODES) <= set(library) and set(itsm_kpis.NOT_FROM_EVENT_LOGS) <= set(library)


def test_quarter_and_week_periods():
    quarter = compute(frame(), SERVICENOW_LIKE, every="quarter")
    assert quarter.values["MTTR"] == [("2024-Q1", round((10 + 300 + 216) / 3, 4))]
    assert quarter.values["INC_VOLUME"] == [("2024-Q1", 4)]
    week = compute(frame(), SERVICENOW_LIKE, every="week")
    assert week.values["MTTR"][0] == ("2024-W02", 10.0)  # A, resolved Wednesday 2024-01-10
    with pytest.raises(ValueError):
        compute(frame(), SERVICENOW_LIKE, every="day")


def test_counts_and_backlog_only_for_periods_the_log_covers():
    # The log starts on 01-10: January's volume is unknown, its resolutions still count.
    out = compute(frame(), ItsmConfig(priority="priority", sla_met_attribute="made_sla", min_cases=1))
    assert [p for p, _ in out.values["INC_VOLUME"]] == ["2024-02", "2024-03"]
    assert [p for p, _ in out.values["BACKLOG_AGE"]] == ["2024-02", "2024-03"]
    assert [p for p, _ in out.values["MTTR"]] == ["2024-01", "2024-02"]


def test_rates_need_enough_resolved_cases():
    out = compute(frame(), ItsmConfig(min_cases=2, min_coverage=0.0))
    assert out.values["MTTR"] == [("2024-02", 258.0)]
    few = compute(frame(), ItsmConfig(min_cases=10, min_coverage=0.0))
    assert "MTTR" not in few.values and "enough cases" in few.unsupported["MTTR"]


def test_kpis_the_log_cannot_support_are_reported():
    plain = frame().with_columns(pl.lit(None, pl.String).alias("group"))
    out = compute(plain, ItsmConfig(min_cases=1, min_coverage=0.0))
    assert {"INC_P1", "INC_P2", "SLA_COMPL", "REASSIGN", "FCR", "MTBF", "SLA_RESP"} <= set(out.unsupported)
    assert {"INC_VOLUME", "MTTR", "REOPEN", "BACKLOG_AGE"} <= set(out.values)
    assert not set(out.values) & set(out.unsupported)


def test_sla_from_duration_targets():
    one = compute(frame(), ItsmConfig(sla_target_s=24 * 3600, min_cases=1, min_coverage=0.0))
    assert one.values["SLA_COMPL"] == [("2024-01", 100.0), ("2024-02", 0.0)]
    per_priority = {"1 - Critical": 12 * 3600.0, "2 - High": 400 * 3600.0}  # no target for P3
    out = compute(
        frame(), ItsmConfig(sla_target_s=per_priority, priority="priority", min_cases=1, min_coverage=0.0)
    )
    assert out.values["SLA_COMPL"] == [("2024-01", 100.0), ("2024-02", 100.0)]


def test_reopen_activity_and_first_level_attribute():
    events = [*EVENTS[:3], ("A", "Reopen", ts(1, 16), "g1", "1 - Critical", "true"), *EVENTS[3:]]
    events[4:4] = [("A", "Closed", ts(1, 17), "g1", "1 - Critical", "true")]
    cfg = ItsmConfig(reopen_activity="Reopen", min_cases=1, min_coverage=0.0)
    out = compute(frame(events), cfg)
    # A is reopened (its activity), C's Resolved -> Active no longer counts; A resolved again 01-17.
    assert out.values["REOPEN"] == [("2024-01", 100.0), ("2024-02", 0.0)]
    levels = frame().with_columns(
        pl.when(pl.col("case") == "B").then(pl.lit("L2")).otherwise(pl.lit("L1")).alias("level")
    )
    out = compute(levels, ItsmConfig(level_attribute="level", min_cases=1, min_coverage=0.0))
    assert out.values["FCR"] == [("2024-01", 100.0), ("2024-02", 50.0)]


def test_config_follows_the_findings_preset():
    cfg = ItsmConfig.from_findings(findings.CONFIG_PRESETS["servicenow"])
    assert (cfg.priority, cfg.sla_met_attribute) == ("priority", "made_sla")
    assert ItsmConfig.from_findings(None) == ItsmConfig()


def test_empty_log():
    out = compute(frame([]))
    assert out.values == {} and "MTTR" in out.unsupported
