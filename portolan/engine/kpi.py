"""KPI evaluation: thresholds, RAG status, trend, target forecast, staleness and periods.

RAG rule (direction-aware; "worse" means lower for higher-is-better, higher otherwise):

1. a value that meets the target (at or better than it) is **green**;
2. otherwise a value at or worse than the red threshold is **red**;
3. otherwise a value at or worse than the amber threshold is **amber**;
4. otherwise **green** (better than the amber threshold, short of the target).

So thresholds are inclusive: with higher-is-better target 99.9, amber 99.5, red 99.0,
99.9 -> green, 99.6 -> green, 99.5 -> amber, 99.1 -> amber, 99.0 -> red.
Thresholds must be ordered target >= amber >= red (higher-is-better) or
target <= amber <= red (lower-is-better); anything else raises ThresholdError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Direction = Literal["higher_is_better", "lower_is_better"]
Status = Literal["green", "amber", "red"]
TrendDirection = Literal["improving", "worsening", "flat", "insufficient_data"]
PeriodKind = Literal["day", "week", "month", "quarter"]

DIRECTIONS: tuple[str, ...] = ("higher_is_better", "lower_is_better")
PERIOD_KINDS: tuple[str, ...] = ("day", "week", "month", "quarter")
# Nominal length of a measurement frequency, in days, for the staleness rule.
FREQUENCY_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 31, "quarter": 92}


class ThresholdError(ValueError):
    """Target and thresholds contradict the direction."""


class PeriodError(ValueError):
    """A period string or kind is not understood."""


@dataclass(frozen=True)
class Thresholds:
    """A KPI's direction, target and amber/red thresholds, validated on creation."""

    direction: Direction
    target: float
    amber: float
    red: float

    def __post_init__(self) -> None:
        validate_thresholds(self.direction, self.target, self.amber, self.red)


def validate_thresholds(direction: str, target: float, amber: float, red: float) -> None:
    """Raise ThresholdError unless the thresholds are ordered for the direction."""
    if direction not in DIRECTIONS:
        raise ThresholdError(f"unknown direction {direction!r}; expected one of {', '.join(DIRECTIONS)}")
    for name, value in (("target", target), ("amber", amber), ("red", red)):
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ThresholdError(f"{name} must be a finite number, got {value!r}")
    if direction == "higher_is_better" and not target >= amber >= red:
        raise ThresholdError(
            f"higher_is_better needs target >= amber >= red, got target={target}, amber={amber}, red={red}"
        )
    if direction == "lower_is_better" and not target <= amber <= red:
        raise ThresholdError(
            f"lower_is_better needs target <= amber <= red, got target={target}, amber={amber}, red={red}"
        )


def _at_or_better(direction: str, value: float, level: float) -> bool:
    return value >= level if direction == "higher_is_better" else value <= level


def _at_or_worse(direction: str, value: float, level: float) -> bool:
    return value <= level if direction == "higher_is_better" else value >= level


def meets_target(thresholds: Thresholds, value: float) -> bool:
    """True when ``value`` is at or better than the target."""
    return _at_or_better(thresholds.direction, value, thresholds.target)


def evaluate(thresholds: Thresholds, value: float) -> Status:
    """RAG status of ``value`` under the rule in the module docstring."""
    if not math.isfinite(value):
        raise ValueError(f"cannot evaluate a non-finite value {value!r}")
    direction = thresholds.direction
    if meets_target(thresholds, value):
        return "green"
    if _at_or_worse(direction, value, thresholds.red):
        return "red"
    if _at_or_worse(direction, value, thresholds.amber):
        return "amber"
    return "green"


# -------------------------------------------------------------------- trend and forecast


@dataclass(frozen=True)
class Trend:
    """Least-squares slope per period over the window, and what it means for the KPI."""

    slope: float | None
    direction: TrendDirection
    points: int


def _fit(values: Sequence[float]) -> tuple[float, float]:
    """Least-squares line through (0, v0), (1, v1)...: returns (slope, intercept)."""
    n = len(values)
    mean_x = (n - 1) / 2.0
    mean_y = sum(values) / n
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    slope = sxy / sxx
    return slope, mean_y - slope * mean_x


def trend(
    values: Sequence[float], direction: Direction, window: int = 6, flat_tolerance: float = 0.01
) -> Trend:
    """Trend over the last ``window`` values (oldest first).

    The slope is flat when ``|slope| <= flat_tolerance * |mean of the window|`` (1 % of the
    level per period by default); otherwise improving when it moves the better way.
    """
    if direction not in DIRECTIONS:
        raise ThresholdError(f"unknown direction {direction!r}")
    if window < 2:
        raise ValueError(f"window must be >= 2, got {window}")
    recent = [float(v) for v in values[-window:]]
    if len(recent) < 2:
        return Trend(None, "insufficient_data", len(recent))
    slope, _ = _fit(recent)
    level = abs(sum(recent) / len(recent))
    if abs(slope) <= flat_tolerance * level:
        return Trend(slope, "flat", len(recent))
    better = slope > 0 if direction == "higher_is_better" else slope < 0
    return Trend(slope, "improving" if better else "worsening", len(recent))


def forecast_target_period(
    values: Sequence[float], last_period: Period, thresholds: Thresholds, window: int = 6
) -> Period | None:
    """First period in which the least-squares line over the window meets the target.

    ``values`` are oldest first and the last one belongs to ``last_period``. Returns
    ``last_period`` when the last value already meets the target, otherwise a later period
    (at the earliest the next one, even if the fitted line already crossed the target), and
    None when fewer than two values are given or the line is flat or moving away from it.
    """
    recent = [float(v) for v in values[-window:]]
    if not recent:
        return None
    if meets_target(thresholds, recent[-1]):
        return last_period
    if len(recent) < 2:
        return None
    slope, intercept = _fit(recent)
    towards = slope > 0 if thresholds.direction == "higher_is_better" else slope < 0
    if not towards:
        return None
    crossing = (thresholds.target - intercept) / slope  # x where the line meets the target
    ahead = max(1, math.ceil(crossing - (len(recent) - 1) - 1e-9))
    return last_period.shift(ahead)


def is_stale(last_measured: date | None, frequency: str, as_of: date, tolerance: float = 1.5) -> bool:
    """True when the last measurement is older than ``frequency x tolerance`` at ``as_of``.

    A frequency's nominal length is FREQUENCY_DAYS (month 31, quarter 92 days); a KPI
    never measured is stale. The age is ``as_of - last_measured`` in whole days.
    """
    if frequency not in FREQUENCY_DAYS:
        raise PeriodError(f"unknown frequency {frequency!r}; expected one of {', '.join(FREQUENCY_DAYS)}")
    if tolerance <= 0:
        raise ValueError(f"tolerance must be positive, got {tolerance}")
    if last_measured is None:
        return True
    return (as_of - last_measured).days > FREQUENCY_DAYS[frequency] * tolerance


# ------------------------------------------------------------------------------ periods


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period identified by its kind and first day."""

    kind: PeriodKind
    start: date

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        """The period of ``kind`` that contains ``day``."""
        if kind == "day":
            return cls("day", day)
        if kind == "week":
            return cls("week", day - timedelta(days=day.weekday()))
        if kind == "month":
            return cls("month", day.replace(day=1))
        if kind == "quarter":
            return cls("quarter", date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))
        raise PeriodError(f"unknown period kind {kind!r}; expected one of {', '.join(PERIOD_KINDS)}")

    @property
    def end(self) -> date:
        """Last day of the period (inclusive)."""
        return self.shift(1).start - timedelta(days=1)

    def shift(self, count: int) -> Period:
        """The period ``count`` periods later (earlier when negative)."""
        if self.kind == "day":
            return Period("day", self.start + timedelta(days=count))
        if self.kind == "week":
            return Period("week", self.start + timedelta(weeks=count))
        months = 1 if self.kind == "month" else 3
        index = self.start.year * 12 + self.start.month - 1 + count * months
        return Period(self.kind, date(index // 12, index % 12 + 1, 1))

    @property
    def label(self) -> str:
        """Canonical text: 2026-11-30, 2026-W47, 2026-11 or 2026-Q3."""
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    def __str__(self) -> str:
        return self.label


_PATTERNS = {
    "quarter": re.compile(r"(\d{4})-Q([1-4])"),
    "week": re.compile(r"(\d{4})-W(\d{2})"),
    "month": re.compile(r"(\d{4})-(\d{2})"),
    "day": re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
}


def parse_period(text: str) -> Period:
    """Parse "2026-Q3", "2026-W47" (ISO week), "2026-11" or "2026-11-30"."""
    cleaned = text.strip().upper()
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(cleaned)
        if match:
            try:
                return _period_from_match(kind, [int(g) for g in match.groups()])
            except ValueError as exc:
                raise PeriodError(f"invalid {kind} {text!r}: {exc}") from None
    raise PeriodError(f"unknown period {text!r}; expected 2026-11-30, 2026-W47, 2026-11 or 2026-Q3")


def _period_from_match(kind: str, parts: list[int]) -> Period:
    if kind == "quarter":
        return Period("quarter", date(parts[0], 3 * (parts[1] - 1) + 1, 1))
    if kind == "week":
        return Period("week", date.fromisocalendar(parts[0], parts[1], 1))
    if kind == "month":
        return Period("month", date(parts[0], parts[1], 1))
    return Period("day", date(*parts))


def period_bounds(text: str) -> tuple[date, date]:
    """First and last day (inclusive) of a period string."""
    period = parse_period(text)
    return period.start, period.end
