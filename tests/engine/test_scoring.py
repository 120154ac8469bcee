"""Scoring engines: known values, explanations that add up, missing inputs named."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine.scoring import (
    Criterion,
    MissingInputs,
    ScoringModel,
    rank_backlog,
    strategic_alignment,
    weighted_score,
    wsjf,
)

MODEL = ScoringModel(
    "infrastructure",
    (
        Criterion("value", weight=3, scale_min=1, scale_max=5, label="business value"),
        Criterion("risk", weight=1, scale_min=0, scale_max=10, higher_is_better=False, label="delivery risk"),
    ),
)


def test_weighted_score_known_value_and_explanation():
    score = weighted_score(MODEL, "I-1", {"value": 4, "risk": 2})
    # value: (4-1)/4 = 0.75 at weight 0.75; risk: 1 - 2/10 = 0.8 at weight 0.25
    assert score.value == pytest.approx(100 * (0.75 * 0.75 + 0.8 * 0.25))  # 76.25
    assert score.explanation == [
        ("business value", 4.0, 0.75, 0.75, pytest.approx(56.25)),
        ("delivery risk", 2.0, pytest.approx(0.8), 0.25, pytest.approx(20.0)),
    ]


def test_weighted_score_extremes_are_0_and_100():
    assert weighted_score(MODEL, "best", {"value": 5, "risk": 0}).value == pytest.approx(100)
    assert weighted_score(MODEL, "worst", {"value": 1, "risk": 10}).value == pytest.approx(0)


def test_weighted_score_reports_every_missing_input_by_name():
    with pytest.raises(MissingInputs) as exc:
        weighted_score(MODEL, "I-2", {"value": None, "risk": math.nan})
    assert exc.value.item == "I-2"
    assert exc.value.missing == ("value", "risk")
    assert str(exc.value) == "I-2: missing score inputs: value, risk"


def test_weighted_score_rejects_value_off_scale():
    with pytest.raises(ValueError, match=r"I-3: business value = 6 is outside its scale 1–5"):
        weighted_score(MODEL, "I-3", {"value": 6, "risk": 1})


def test_scoring_model_validation():
    with pytest.raises(ValueError, match="duplicate criteria value"):
        ScoringModel("m", (Criterion("value", 1), Criterion("value", 2)))
    with pytest.raises(ValueError, match="weights must sum"):
        ScoringModel("m", (Criterion("value", 0),))
    with pytest.raises(ValueError, match="scale_max must exceed scale_min"):
        Criterion("value", 1, scale_min=5, scale_max=5)


def test_wsjf_known_value_and_formula():
    score = wsjf("I-4", business_value=8, time_criticality=5, risk_reduction=3, job_size=5)
    assert score.value == pytest.approx(3.2)
    assert score.formula == "WSJF = (8 + 5 + 3) / 5 = 3.2"
    assert [line.criterion for line in score.lines] == [
        "business value",
        "time criticality",
        "risk reduction",
    ]
    assert sum(line.contribution for line in score.lines) == pytest.approx(score.value)


@pytest.mark.parametrize("size", [0, -1])
def test_wsjf_rejects_non_positive_job_size_naming_the_item(size):
    with pytest.raises(ValueError, match=rf"I-5: WSJF job size must be > 0, got {size}"):
        wsjf("I-5", 8, 5, 3, size)


def test_wsjf_reports_missing_inputs_instead_of_zero():
    with pytest.raises(MissingInputs) as exc:
        wsjf("I-6", 8, None, 3, None)
    assert exc.value.missing == ("time_criticality", "job_size")


def test_strategic_alignment_known_value():
    weights = {"resilience": 3, "cloud": 1}
    score = strategic_alignment("I-7", {"resilience": 1.0, "cloud": 0.5}, weights)
    assert score.value == pytest.approx(100 * (0.75 * 1.0 + 0.25 * 0.5))  # 87.5
    assert score.explanation == [("resilience", 1.0, 1.0, 0.75, 75.0), ("cloud", 0.5, 0.5, 0.25, 12.5)]


def test_strategic_alignment_with_link_scale_and_full_alignment():
    weights = {"a": 2, "b": 2}
    assert strategic_alignment("x", {"a": 3, "b": 3}, weights, max_link=3).value == pytest.approx(100)
    assert strategic_alignment("x", {}, weights).value == 0


def test_strategic_alignment_unassessed_is_missing_and_unknown_objective_rejected():
    with pytest.raises(MissingInputs, match="I-8: missing score inputs: objective links"):
        strategic_alignment("I-8", None, {"a": 1})
    with pytest.raises(ValueError, match="I-8: linked to unknown objectives: zz"):
        strategic_alignment("I-8", {"zz": 1}, {"a": 1})
    with pytest.raises(ValueError, match="link strength to a must lie in 0–1"):
        strategic_alignment("I-8", {"a": 2}, {"a": 1})


def test_rank_backlog_orders_scored_items_and_lists_incomplete_ones():
    inputs = {
        "A": {"value": 3, "risk": 5},
        "B": {"value": 5, "risk": 5},
        "C": {"value": None, "risk": 1},
        "D": {"value": 3, "risk": 5},
    }
    backlog = rank_backlog(inputs, lambda item: weighted_score(MODEL, item, inputs[item]))
    assert [s.item for s in backlog.ranked] == ["B", "A", "D"]
    assert [(m.item, m.missing) for m in backlog.incomplete] == [("C", ("value",))]


@settings(deadline=None, max_examples=100)
@given(
    weights=st.lists(st.floats(0.1, 10), min_size=1, max_size=6),
    data=st.data(),
)
def test_weighted_score_is_sum_of_contributions_and_within_0_100(weights, data):
    criteria = tuple(Criterion(f"c{i}", w, 0, 10) for i, w in enumerate(weights))
    model = ScoringModel("m", criteria)
    inputs = {c.key: data.draw(st.floats(0, 10)) for c in criteria}
    score = weighted_score(model, "item", inputs)
    assert 0 - 1e-9 <= score.value <= 100 + 1e-9
    assert sum(line.contribution for line in score.lines) == pytest.approx(score.value)
    assert sum(line.weight for line in score.lines) == pytest.approx(1.0)
