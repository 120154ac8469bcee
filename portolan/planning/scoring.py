"""Scores of initiatives: translate planning inputs into :mod:`portolan.engine.scoring` calls.

Read-only: nothing here writes. The ranked backlog puts manually ranked initiatives at
their rank (the reason is shown) and every other one in score order around them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from portolan.engine import scoring as engine
from portolan.portfolio.models import Initiative, Objective

WSJF = "wsjf"
# Stages that are still decided on: done and cancelled work is no longer in the backlog.
OPEN_STAGES = (
    Initiative.Stage.IDEA,
    Initiative.Stage.ASSESSMENT,
    Initiative.Stage.APPROVED,
    Initiative.Stage.IN_PROGRESS,
    Initiative.Stage.ON_HOLD,
)


def engine_model(scoring_model) -> engine.ScoringModel:
    """The engine's weighted model from a :class:`ScoringModel` row (raises ValueError if invalid)."""
    if not isinstance(scoring_model.criteria, list) or not scoring_model.criteria:
        raise ValueError("give at least one criterion")
    criteria = []
    for c in scoring_model.criteria:
        if not isinstance(c, dict) or "key" not in c:
            raise ValueError("each criterion needs a key")
        criteria.append(
            engine.Criterion(
                key=str(c["key"]),
                weight=float(c.get("weight", 1)),
                scale_min=float(c.get("scale_min", 1)),
                scale_max=float(c.get("scale_max", 5)),
                higher_is_better=bool(c.get("higher_is_better", True)),
                label=str(c.get("label", "")),
            )
        )
    return engine.ScoringModel(scoring_model.name, tuple(criteria))


def objective_weights() -> dict[str, float]:
    """Weights of the objectives an initiative can serve (leaves of the objective tree)."""
    objectives = Objective.objects.filter(children__isnull=True).values_list("code", "weight")
    return {code: float(weight) for code, weight in objectives if weight and weight > 0}


@dataclass
class BacklogRow:
    initiative: Initiative
    score: engine.Score | None
    rank: int = 0
    score_rank: int | None = None
    manual: bool = False
    missing: tuple[str, ...] = ()
    error: str = ""
    alignment: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def value(self) -> float | None:
        return None if self.score is None else self.score.value


def scorer_for(scoring_model, weights: dict[str, float]):
    """A function ``initiative -> engine.Score`` (raising MissingInputs / ValueError)."""
    kind = scoring_model.kind if scoring_model is not None else WSJF
    weighted = engine_model(scoring_model) if kind == "weighted" else None

    def score(initiative: Initiative) -> engine.Score:
        planning = getattr(initiative, "planning", None)
        if kind == "alignment":
            links = {
                link.objective.code: float(link.weight)
                for link in initiative.objective_links.all()
                if link.objective.code in weights
            }
            top = max([1.0, *links.values()])
            return engine.strategic_alignment(initiative.key, links, weights, max_link=top)
        if planning is None:
            needed = (
                [c.name for c in weighted.criteria]
                if weighted
                else ["business value", "time criticality", "risk reduction", "job size"]
            )
            raise engine.MissingInputs(initiative.key, needed)
        if weighted is not None:
            return engine.weighted_score(weighted, initiative.key, planning.criteria or {})
        return engine.wsjf(
            initiative.key,
            planning.business_value,
            planning.time_criticality,
            planning.risk_reduction,
            planning.job_size,
        )

    return score


def backlog_queryset(initiatives):
    return (
        initiatives.filter(stage__in=OPEN_STAGES)
        .exclude(kind=Initiative.Kind.PROGRAM)
        .select_related("team", "planning", "parent")
        .prefetch_related("objective_links__objective")
        .order_by("key")
    )


def score_all(
    initiatives: Iterable[Initiative], scoring_model
) -> tuple[dict[str, engine.Score], list[BacklogRow]]:
    """Scores by key, and rows for the initiatives that could not be scored (and why)."""
    weights = objective_weights()
    scorer = scorer_for(scoring_model, weights)
    scores, unscored = {}, []
    for initiative in initiatives:
        try:
            scores[initiative.key] = scorer(initiative)
        except engine.MissingInputs as exc:
            unscored.append(BacklogRow(initiative, None, missing=exc.missing))
        except ValueError as exc:
            unscored.append(BacklogRow(initiative, None, error=str(exc)))
    return scores, unscored


def ranked_backlog(
    initiatives: Iterable[Initiative], scoring_model
) -> tuple[list[BacklogRow], list[BacklogRow]]:
    """``(ranked, unscored)``: scored initiatives best first with manual ranks applied."""
    initiatives = list(initiatives)
    scores, unscored = score_all(initiatives, scoring_model)
    weights = objective_weights()
    by_key = {i.key: i for i in initiatives}
    ordered = sorted(scores.values(), key=lambda s: (-s.value, s.item))
    rows = [BacklogRow(by_key[s.item], s, score_rank=n) for n, s in enumerate(ordered, start=1)]
    for row in rows:
        links = {
            link.objective.code: float(link.weight)
            for link in row.initiative.objective_links.all()
            if link.objective.code in weights
        }
        if weights:
            top = max([1.0, *links.values()])
            row.alignment = engine.strategic_alignment(row.initiative.key, links, weights, max_link=top).value
    manual = [r for r in rows if _manual_rank(r.initiative) is not None]
    automatic = [r for r in rows if _manual_rank(r.initiative) is None]
    manual.sort(key=lambda r: (_manual_rank(r.initiative), r.score_rank))
    result = list(automatic)
    for row in manual:
        row.manual = True
        result.insert(min(_manual_rank(row.initiative) - 1, len(result)), row)
    for n, row in enumerate(result, start=1):
        row.rank = n
    return result, unscored


def _manual_rank(initiative: Initiative) -> int | None:
    planning = getattr(initiative, "planning", None)
    return planning.manual_rank if planning is not None else None


def as_float(value) -> float:
    return float(value) if isinstance(value, Decimal | int | float) else 0.0
