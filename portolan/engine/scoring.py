"""Scoring engines: weighted-criteria models, WSJF and strategic alignment.

Pure functions, no Django. Every score carries its explanation, one line per criterion
``(criterion, raw, normalised, weight, contribution)``, whose contributions sum to the
score, so a ranked backlog can show why each item sits where it does.

A missing input (``None`` or NaN) is never read as zero: it raises :class:`MissingInputs`
naming the item and every missing input, and :func:`rank_backlog` lists such items apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "Criterion",
    "MissingInputs",
    "RankedBacklog",
    "Score",
    "ScoreLine",
    "ScoringModel",
    "rank_backlog",
    "strategic_alignment",
    "weighted_score",
    "wsjf",
]

Number = float | int


class MissingInputs(ValueError):
    """Raised when a score needs inputs the item does not have."""

    def __init__(self, item: str, missing: Sequence[str]) -> None:
        self.item = item
        self.missing = tuple(missing)
        super().__init__(f"{item}: missing score inputs: {', '.join(self.missing)}")


@dataclass(frozen=True)
class ScoreLine:
    """One criterion's share of a score."""

    criterion: str
    raw: float
    normalised: float
    weight: float
    contribution: float

    def as_tuple(self) -> tuple[str, float, float, float, float]:
        return (self.criterion, self.raw, self.normalised, self.weight, self.contribution)


@dataclass(frozen=True)
class Score:
    """A score for one item with its explanation; ``value`` is the sum of contributions."""

    item: str
    method: str
    value: float
    lines: tuple[ScoreLine, ...]
    formula: str = ""

    @property
    def explanation(self) -> list[tuple[str, float, float, float, float]]:
        return [line.as_tuple() for line in self.lines]


@dataclass(frozen=True)
class Criterion:
    """A scored criterion: raw values on ``[scale_min, scale_max]`` map to ``[0, 1]``.

    ``higher_is_better=False`` reverses the scale (e.g. delivery risk, cost).
    """

    key: str
    weight: float
    scale_min: float = 1.0
    scale_max: float = 5.0
    higher_is_better: bool = True
    label: str = ""

    def __post_init__(self) -> None:
        if not self.scale_max > self.scale_min:
            raise ValueError(f"criterion {self.key!r}: scale_max must exceed scale_min")
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"criterion {self.key!r}: weight must be a finite number >= 0")

    @property
    def name(self) -> str:
        return self.label or self.key

    def normalise(self, raw: float) -> float:
        """Map a raw value onto ``[0, 1]`` (1 is best)."""
        fraction = (raw - self.scale_min) / (self.scale_max - self.scale_min)
        return fraction if self.higher_is_better else 1.0 - fraction


@dataclass(frozen=True)
class ScoringModel:
    """A named set of weighted criteria; weights are normalised to sum to 1, scores run 0–100."""

    name: str
    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        keys = [c.key for c in self.criteria]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"scoring model {self.name!r}: duplicate criteria {', '.join(duplicates)}")
        if not sum(c.weight for c in self.criteria) > 0:
            raise ValueError(f"scoring model {self.name!r}: weights must sum to more than 0")

    def normalised_weights(self) -> dict[str, float]:
        total = sum(c.weight for c in self.criteria)
        return {c.key: c.weight / total for c in self.criteria}


def _is_missing(value: Number | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _require(item: str, inputs: Mapping[str, Number | None], keys: Iterable[str]) -> None:
    missing = [k for k in keys if _is_missing(inputs.get(k))]
    if missing:
        raise MissingInputs(item, missing)


def weighted_score(model: ScoringModel, item: str, inputs: Mapping[str, Number | None]) -> Score:
    """Score ``item`` on ``model``: ``100 * sum(normalised_weight * normalised_value)``.

    Raises :class:`MissingInputs` for absent criteria and ``ValueError`` for values off-scale.
    """
    _require(item, inputs, (c.key for c in model.criteria))
    weights = model.normalised_weights()
    lines = []
    for criterion in model.criteria:
        raw = float(inputs[criterion.key])  # type: ignore[arg-type]
        if not criterion.scale_min <= raw <= criterion.scale_max:
            raise ValueError(
                f"{item}: {criterion.name} = {raw:g} is outside its scale "
                f"{criterion.scale_min:g}–{criterion.scale_max:g}"
            )
        normalised = criterion.normalise(raw)
        weight = weights[criterion.key]
        lines.append(ScoreLine(criterion.name, raw, normalised, weight, 100.0 * normalised * weight))
    return Score(item, model.name, sum(line.contribution for line in lines), tuple(lines))


WSJF_COMPONENTS = ("business_value", "time_criticality", "risk_reduction")


def wsjf(
    item: str,
    business_value: Number | None,
    time_criticality: Number | None,
    risk_reduction: Number | None,
    job_size: Number | None,
) -> Score:
    """Weighted Shortest Job First: cost of delay / job size.

    Each component's line has weight ``1 / job_size`` so contributions sum to the score.
    """
    values = dict(zip(WSJF_COMPONENTS, (business_value, time_criticality, risk_reduction), strict=True))
    _require(item, {**values, "job_size": job_size}, (*WSJF_COMPONENTS, "job_size"))
    size = float(job_size)  # type: ignore[arg-type]
    if not size > 0:
        raise ValueError(f"{item}: WSJF job size must be > 0, got {size:g}")
    negative = [k for k, v in values.items() if float(v) < 0]  # type: ignore[arg-type]
    if negative:
        raise ValueError(f"{item}: WSJF inputs must be >= 0: {', '.join(negative)}")
    lines = tuple(
        ScoreLine(key.replace("_", " "), float(v), float(v), 1.0 / size, float(v) / size)  # type: ignore[arg-type]
        for key, v in values.items()
    )
    cost_of_delay = sum(line.raw for line in lines)
    formula = (
        f"WSJF = ({' + '.join(f'{line.raw:g}' for line in lines)}) / {size:g} = {cost_of_delay / size:g}"
    )
    return Score(item, "wsjf", sum(line.contribution for line in lines), lines, formula)


def strategic_alignment(
    item: str,
    links: Mapping[str, Number] | None,
    objective_weights: Mapping[str, Number],
    *,
    max_link: float = 1.0,
) -> Score:
    """Alignment 0–100: ``100 * sum_o (link_o / max_link) * (w_o / sum w)``.

    ``links`` maps objective -> link strength in ``[0, max_link]``. ``None`` means the item
    was never assessed (reported as missing); an empty mapping means it supports no objective
    (score 0). An item fully linked to every objective scores 100.
    """
    if links is None:
        raise MissingInputs(item, ["objective links"])
    unknown = sorted(set(links) - set(objective_weights))
    if unknown:
        raise ValueError(f"{item}: linked to unknown objectives: {', '.join(unknown)}")
    missing = [o for o, w in objective_weights.items() if _is_missing(w)]
    if missing:
        raise MissingInputs(item, [f"weight of objective {o}" for o in missing])
    total = float(sum(objective_weights.values()))
    if not total > 0:
        raise ValueError("objective weights must sum to more than 0")
    lines = []
    for objective, strength in links.items():
        if _is_missing(strength):
            raise MissingInputs(item, [f"link strength to {objective}"])
        if not 0 <= float(strength) <= max_link:
            raise ValueError(f"{item}: link strength to {objective} must lie in 0–{max_link:g}")
        normalised = float(strength) / max_link
        weight = float(objective_weights[objective]) / total
        lines.append(ScoreLine(objective, float(strength), normalised, weight, 100.0 * normalised * weight))
    return Score(item, "strategic alignment", sum(line.contribution for line in lines), tuple(lines))


@dataclass(frozen=True)
class RankedBacklog:
    """Scored items best first (ties by item id), and items that could not be scored."""

    ranked: tuple[Score, ...]
    incomplete: tuple[MissingInputs, ...]


def rank_backlog(items: Iterable[str], scorer: Callable[[str], Score]) -> RankedBacklog:
    """Score every item with ``scorer``; items with missing inputs are listed, not ranked."""
    scores, incomplete = [], []
    for item in items:
        try:
            scores.append(scorer(item))
        except MissingInputs as exc:
            incomplete.append(exc)
    scores.sort(key=lambda s: (-s.value, s.item))
    return RankedBacklog(tuple(scores), tuple(incomplete))
