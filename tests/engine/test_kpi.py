"""KPI evaluation: RAG bands and boundaries, contradictions, trend, forecast, staleness, periods."""

from datetime import date

import pytest

from portolan.engine.kpi import (
    Period,
    PeriodError,
    ThresholdError,
    Thresholds,
    evaluate,
    forecast_target_period,
    is_stale,
    parse_period,
    period_bounds,
    trend,
)

AVAILABILITY = Thresholds("higher_is_better", target=99.9, amber=99.5, red=99.0)
MTTR = Thresholds("lower_is_better", target=4.0, amber=8.0, red=24.0)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (100.0, "green"),
        (99.9, "green"),  # meets the target
        (99.6, "green"),  # short of target, better than amber
        (99.5, "amber"),  # at the amber threshold
        (99.1, "amber"),
        (99.0, "red"),  # at the red threshold
        (50.0, "red"),
    ],
)
def test_higher_is_better_bands(value, status):
    assert evaluate(AVAILABILITY, value) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (0.0, "green"),
        (4.0, "green"),  # meets the target
        (7.9, "green"),
        (8.0, "amber"),  # at the amber threshold
        (23.9, "amber"),
        (24.0, "red"),  # at the red threshold
        (100.0, "red"),
    ],
)
def test_lower_is_better_bands(value, status):
    assert evaluate(MTTR, value) == status


def test_target_equal_to_amber_keeps_target_green():
    t = Thresholds("higher_is_better", target=95, amber=95, red=90)
    assert [evaluate(t, v) for v in (95, 94.9, 90.1, 90)] == ["green", "amber", "amber", "red"]


def test_all_levels_equal_is_green_at_target_red_below():
    t = Thresholds("lower_is_better", target=0, amber=0, red=0)
    assert (evaluate(t, 0), evaluate(t, 1)) == ("green", "red")


@pytest.mark.parametrize(
    ("direction", "target", "amber", "red"),
    [
        ("higher_is_better", 99.0, 99.5, 98.0),  # amber above target
        ("higher_is_better", 99.9, 99.0, 99.5),  # red above amber
        ("lower_is_better", 8.0, 4.0, 24.0),  # amber below target
        ("lower_is_better", 4.0, 24.0, 8.0),  # red below amber
    ],
)
def test_contradictory_thresholds_are_refused_naming_the_values(direction, target, amber, red):
    with pytest.raises(ThresholdError) as excinfo:
        Thresholds(direction, target, amber, red)
    message = str(excinfo.value)
    assert f"target={target}" in message and f"amber={amber}" in message and f"red={red}" in message


def test_unknown_direction_is_refused():
    with pytest.raises(ThresholdError, match="sideways"):
        Thresholds("sideways", 1, 1, 1)


# ---------------------------------------------------------------------------- trend


def test_trend_slope_and_direction_known_values():
    t = trend([10, 12, 14, 16], "higher_is_better")
    assert t.slope == pytest.approx(2.0)
    assert t.direction == "improving"
    assert trend([10, 12, 14, 16], "lower_is_better").direction == "worsening"


def test_trend_uses_the_last_window_only():
    t = trend([100, 0, 5, 5, 5], "higher_is_better", window=3)
    assert t.slope == 0 and t.direction == "flat" and t.points == 3


def test_trend_flat_within_tolerance():
    assert trend([100, 100.5, 100, 100.5], "higher_is_better").direction == "flat"  # slope 0.1 <= 1 %


def test_trend_needs_two_points():
    assert trend([5], "higher_is_better").direction == "insufficient_data"


# ------------------------------------------------------------------------- forecast


def test_forecast_linear_extrapolation_known_value():
    # 96, 97, 98 by month: +1/month, the 99.9 target is met in the 2nd month after 2026-03.
    t = Thresholds("higher_is_better", 99.9, 99.0, 98.0)
    assert forecast_target_period([96, 97, 98], parse_period("2026-03"), t) == parse_period("2026-05")


def test_forecast_lower_is_better_exact_crossing():
    # 12, 10, 8 hours: -2 per week, target 4 reached exactly two weeks later.
    got = forecast_target_period([12, 10, 8], parse_period("2026-W10"), MTTR)
    assert got == parse_period("2026-W12")


def test_forecast_none_when_moving_away_or_flat():
    assert forecast_target_period([99, 98, 97], parse_period("2026-Q1"), AVAILABILITY) is None
    assert forecast_target_period([97, 97, 97], parse_period("2026-Q1"), AVAILABILITY) is None


def test_forecast_line_already_past_target_gives_next_period():
    # slope 4.5, the fitted line crosses 100 at x = 1.07 < 2 but the last value (99) misses it
    t = Thresholds("higher_is_better", 100, 95, 90)
    assert forecast_target_period([90, 110, 99], parse_period("2026-11"), t) == parse_period("2026-12")


def test_forecast_already_met_returns_last_period():
    assert forecast_target_period([98, 99.95], parse_period("2026-Q2"), AVAILABILITY) == parse_period(
        "2026-Q2"
    )


# ------------------------------------------------------------------------ staleness

AS_OF = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("last", "frequency", "stale"),
    [
        (date(2026, 11, 29), "day", False),  # 1 day old, limit 1.5
        (date(2026, 11, 28), "day", True),  # 2 days old
        (date(2026, 11, 20), "week", False),  # 10 days, limit 10.5
        (date(2026, 11, 19), "week", True),  # 11 days
        (date(2026, 10, 15), "month", False),  # 46 days, limit 46.5
        (date(2026, 10, 14), "month", True),  # 47 days
        (date(2026, 7, 15), "quarter", False),  # 138 days, limit 138
        (date(2026, 7, 14), "quarter", True),  # 139 days
    ],
)
def test_stale_flag_at_fixed_as_of(last, frequency, stale):
    assert is_stale(last, frequency, AS_OF) is stale


def test_stale_tolerance_is_an_argument():
    assert not is_stale(date(2026, 7, 1), "quarter", AS_OF, tolerance=2.0)  # 152 <= 184


def test_never_measured_is_stale_and_unknown_frequency_refused():
    assert is_stale(None, "month", AS_OF)
    with pytest.raises(PeriodError, match="fortnight"):
        is_stale(AS_OF, "fortnight", AS_OF)


# -------------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-11", "month", date(2026, 11, 1), date(2026, 11, 30)),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026-W47", "week", date(2026, 11, 16), date(2026, 11, 22)),
        ("2026-W01", "week", date(2025, 12, 29), date(2026, 1, 4)),
        ("2026-11-30", "day", date(2026, 11, 30), date(2026, 11, 30)),
    ],
)
def test_parse_period(text, kind, start, end):
    period = parse_period(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period.label == text
    assert period_bounds(text) == (start, end)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "2026-W54", "2025-W53", "2026-02-30", "Nov 2026", ""])
def test_unknown_or_invalid_period_is_refused(text):
    with pytest.raises(PeriodError, match="2026|2025|unknown"):
        parse_period(text)


def test_period_containing_and_shift():
    day = date(2026, 11, 30)
    assert Period.containing("quarter", day).label == "2026-Q4"
    assert Period.containing("week", day).label == "2026-W49"
    assert Period.containing("month", day).shift(2).label == "2027-01"
    assert parse_period("2026-Q1").shift(-1).label == "2025-Q4"
    with pytest.raises(PeriodError, match="year"):
        Period.containing("year", day)
