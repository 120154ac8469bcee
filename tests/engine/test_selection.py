"""Portfolio selection MILP: known optima, rules, infeasibility messages and properties.

Random instances are checked against brute-force enumeration of every subset.
"""

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine.selection import (
    Candidate,
    InfeasibleSelection,
    SelectionProblem,
    _best_start,
    _compile,
    _is_plan,
    _lp_guided_vector,
    _lp_relaxation,
    default_budget_factors,
    diagnose,
    efficient_frontier,
    format_money,
    greedy,
    solve,
)

SEC_Q2 = ("Security", "2027-Q2")


def knapsack() -> SelectionProblem:
    """Budget 10: greedy by score (or by score/cost) takes A (10) and is stuck; B + C = 12."""
    return SelectionProblem(
        (
            Candidate("A", 10, capex={2027: 6}),
            Candidate("B", 6, capex={2027: 5}),
            Candidate("C", 6, capex={2027: 5}),
        ),
        capex_budget={2027: 10},
    )


def test_knapsack_optimum_beats_greedy():
    result = solve(knapsack())
    assert result.selected == ("B", "C")
    assert result.not_selected == ("A",)
    assert result.objective == 12
    assert result.proven_optimal and result.mip_gap == pytest.approx(0)
    assert {g.rule: (g.selected, g.value) for g in result.greedy} == {
        "score": (frozenset({"A"}), 10),
        "ratio": (frozenset({"A"}), 10),
    }
    assert result.gain_over_greedy == 2
    assert result.gain_over("score") == 2


def test_binding_constraints_named_with_usage_and_limit():
    problem = SelectionProblem(
        (
            Candidate("A", 5, capex={2027: 100}, opex={2027: 10}, effort={SEC_Q2: 20}),
            Candidate("B", 4, capex={2027: 50}, effort={SEC_Q2: 20}),
            Candidate("C", 3, opex={2027: 30}, effort={SEC_Q2: 20}),
        ),
        capex_budget={2027: 1000},
        opex_budget={2027: 40},
        capacity={SEC_Q2: 40},
    )
    result = solve(problem)
    assert result.selected == ("A", "B")
    assert result.binding == ("capacity Security 2027-Q2",)
    usage = {c.name: (c.usage, c.limit, c.slack) for c in result.constraints}
    assert usage == {
        "capex 2027": (150, 1000, 850),
        "opex 2027": (10, 40, 30),
        "capacity Security 2027-Q2": (40, 40, 0),
    }
    assert result.reasons_not_selected == {"C": ("would exceed capacity Security 2027-Q2",)}


def test_mandatory_committed_and_forced_in_are_selected_even_if_worse():
    problem = SelectionProblem(
        (
            Candidate("run", 1, opex={2027: 6}, mandatory=True),
            Candidate("contract", 1, opex={2027: 2}, committed=True),
            Candidate("pick", 0.5, opex={2027: 1}),
            Candidate("best", 100, opex={2027: 3}),
        ),
        opex_budget={2027: 10},
        forced_in=frozenset({"pick"}),
    )
    result = solve(problem)
    assert result.selected == ("run", "contract", "pick")
    assert result.reasons_not_selected == {"best": ("would exceed opex 2027",)}


def test_requires_exclusion_and_forced_out():
    problem = SelectionProblem(
        (
            Candidate("platform", 1, capex={2027: 4}),
            Candidate("migration", 20, capex={2027: 4}, requires=("platform",)),
            Candidate("vendor-x", 8, capex={2027: 1}),
            Candidate("vendor-y", 9, capex={2027: 1}),
            Candidate("shiny", 50, capex={2027: 1}),
        ),
        capex_budget={2027: 10},
        exclusion_groups={"vendor": ("vendor-x", "vendor-y")},
        forced_out=frozenset({"shiny"}),
    )
    result = solve(problem)
    assert result.selected == ("platform", "migration", "vendor-y")
    assert result.reasons_not_selected == {
        "vendor-x": ("exclusion group vendor already holds vendor-y",),
        "shiny": ("forced out",),
    }


def test_dependent_left_out_when_its_prerequisite_is_not_worth_it():
    problem = SelectionProblem(
        (
            Candidate("base", 1, capex={2027: 9}),
            Candidate("top", 5, capex={2027: 2}, requires=("base",)),
            Candidate("other", 7, capex={2027: 8}),
        ),
        capex_budget={2027: 10},
    )
    result = solve(problem)
    assert result.selected == ("other",)
    assert result.reasons_not_selected == {
        "base": ("would exceed capex 2027",),
        "top": ("requires base (not selected)",),
    }


def test_unbudgeted_year_is_reported_not_silently_constrained():
    problem = SelectionProblem((Candidate("A", 1, capex={2027: 5, 2029: 7}),), capex_budget={2027: 10})
    result = solve(problem)
    assert result.selected == ("A",)
    assert result.warnings == ("capex in 2029 has no budget: not constrained",)


def test_mandatory_shortfall_message_names_year_kind_and_amount():
    problem = SelectionProblem(
        (
            Candidate("A", 1, capex={2027: 3_000_000}, mandatory=True),
            Candidate("B", 1, capex={2027: 2_200_000}, mandatory=True),
            Candidate("C", 9, capex={2027: 100_000}),
        ),
        capex_budget={2027: 4_000_000},
    )
    with pytest.raises(InfeasibleSelection) as exc:
        solve(problem)
    assert str(exc.value) == (
        "mandatory items exceed the 2027 capex budget by €1.2M (need €5.2M, budget €4.0M; items: A, B)"
    )
    (conflict,) = exc.value.conflicts
    assert (conflict.kind, conflict.constraint, conflict.items) == ("budget", "capex 2027", ("A", "B"))
    assert conflict.excess == pytest.approx(1_200_000)


def test_capacity_shortfall_message_with_committed_items_and_prerequisites():
    problem = SelectionProblem(
        (
            Candidate("A", 1, effort={SEC_Q2: 50}, mandatory=True),
            Candidate("B", 1, effort={SEC_Q2: 30}, committed=True, requires=("P",)),
            Candidate("P", 1, effort={SEC_Q2: 12}),
        ),
        capacity={SEC_Q2: 80},
    )
    assert [c.message for c in diagnose(problem, currency="USD")] == [
        "mandatory and committed items with their prerequisites exceed the capacity of Security in 2027-Q2 "
        "by 12 person-days (need 92 person-days, capacity 80 person-days; items: A, B, P)"
    ]


def test_requires_chain_into_forced_out_item_is_explained():
    problem = SelectionProblem(
        (
            Candidate("M", 1, mandatory=True, requires=("B",)),
            Candidate("B", 1, requires=("C",)),
            Candidate("C", 1),
        ),
        forced_out=frozenset({"C"}),
    )
    with pytest.raises(
        InfeasibleSelection, match=r"^M is mandatory but requires B, which requires C, which is forced out$"
    ):
        solve(problem)


def test_requires_chain_into_exclusion_conflict_is_explained():
    problem = SelectionProblem(
        (
            Candidate("A", 1, mandatory=True),
            Candidate("B", 1, committed=True, requires=("C",)),
            Candidate("C", 1),
        ),
        exclusion_groups={"vendor": ("A", "C")},
    )
    assert [c.message for c in diagnose(problem)] == [
        "exclusion group vendor allows one item, "
        "but A (mandatory) and C (required by committed B) are both forced in"
    ]


def test_currency_argument_formats_messages():
    assert format_money(1_234_567, "EUR") == "€1.2M"
    assert format_money(850_000, "GBP") == "£850k"
    assert format_money(420, "CHF") == "420 CHF"
    problem = SelectionProblem(
        (Candidate("A", 1, opex={2028: 1500}, mandatory=True),), opex_budget={2028: 1000}
    )
    assert diagnose(problem, currency="USD")[0].message.startswith(
        "mandatory items exceed the 2028 opex budget by $500"
    )


def test_invalid_references_are_rejected_by_name():
    with pytest.raises(ValueError, match="unknown candidates referenced: A requires: Z; forced out: Y"):
        solve(SelectionProblem((Candidate("A", 1, requires=("Z",)),), forced_out=frozenset({"Y"})))
    with pytest.raises(ValueError, match="duplicate candidate ids: A"):
        solve(SelectionProblem((Candidate("A", 1), Candidate("A", 2))))
    with pytest.raises(ValueError, match="A: costs and effort must be >= 0"):
        solve(SelectionProblem((Candidate("A", 1, capex={2027: -1}),)))


def test_frontier_has_requested_levels_and_explains_infeasible_ones():
    problem = SelectionProblem(
        (*knapsack().candidates, Candidate("M", 0, capex={2027: 2}, mandatory=True)), capex_budget={2027: 10}
    )
    points = efficient_frontier(problem, default_budget_factors(11, 0.1, 2.1))
    assert len(points) == 11
    assert points[0].value is None
    assert points[0].conflicts[0].message.startswith("mandatory items exceed the 2027 capex budget by")
    values = [p.value for p in points if p.value is not None]
    assert values == sorted(values)
    assert points[-1].selected == ("A", "B", "C", "M") and points[-1].value == 22


def test_frontier_levels_as_totals():
    points = efficient_frontier(knapsack(), [5, 10, 11, 16], as_totals=True)
    assert [(p.budget_total, p.value) for p in points] == [(5, 6), (10, 12), (11, 16), (16, 22)]


def test_greedy_alone():
    assert greedy(knapsack(), "score").value == 10
    with pytest.raises(ValueError, match="unknown greedy rule"):
        greedy(knapsack(), "random")


def test_lp_guided_start_sees_team_capacity_that_greedy_ignores():
    """Greedy takes the high-score item that fills Security; the LP prefers two smaller ones."""
    problem = SelectionProblem(
        (
            Candidate("big", 10, effort={SEC_Q2: 10}),
            Candidate("s1", 6, effort={SEC_Q2: 5}),
            Candidate("s2", 6, effort={SEC_Q2: 5}),
        ),
        capacity={SEC_Q2: 10},
    )
    model = _compile(problem)
    start, greedy_results = _best_start(model)
    assert [g.value for g in greedy_results] == [10, 10]
    assert [model.ids[i] for i in start.nonzero()[0]] == ["s1", "s2"]
    assert solve(problem, time_limit=0.0).objective == 12


# --------------------------------------------------------------------------- properties

YEARS = (2027, 2028)
CELLS = (("Security", "2027-Q1"), ("Network", "2027-Q1"))


@st.composite
def problems(draw, max_items: int = 7) -> SelectionProblem:
    n = draw(st.integers(1, max_items))
    ids = [f"C{i}" for i in range(n)]
    money = st.dictionaries(st.sampled_from(YEARS), st.integers(0, 50).map(float), max_size=2)
    effort = st.dictionaries(st.sampled_from(CELLS), st.integers(0, 20).map(float), max_size=2)
    rare = st.sampled_from([0, 0, 0, 1, 2])  # how many of an optional feature (mostly none)
    candidates = tuple(
        Candidate(
            cid,
            draw(st.integers(0, 30).map(float)),
            capex=draw(money),
            opex=draw(money),
            effort=draw(effort),
            requires=tuple(draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)))[: draw(rare)],
            mandatory=draw(rare) > 1,
            committed=draw(rare) > 1,
        )
        for cid in ids
    )
    group = st.lists(st.sampled_from(ids), min_size=2, max_size=3, unique=True)
    groups = draw(st.lists(group, max_size=2)) if n > 1 else []
    return SelectionProblem(
        candidates,
        capex_budget={y: float(draw(st.integers(20, 150))) for y in YEARS},
        opex_budget={y: float(draw(st.integers(20, 150))) for y in YEARS[:1]},
        capacity={cell: float(draw(st.integers(10, 60))) for cell in CELLS},
        exclusion_groups={f"G{i}": tuple(g) for i, g in enumerate(groups)},
        forced_in=frozenset(draw(st.lists(st.sampled_from(ids), max_size=1))[: draw(rare)]),
        forced_out=frozenset(draw(st.lists(st.sampled_from(ids), max_size=1))[: draw(rare)]),
    )


def violations(problem: SelectionProblem, chosen: set[str]) -> list[str]:
    """Every rule the plan ``chosen`` breaks, computed independently of the engine."""
    by_id = {c.id: c for c in problem.candidates}
    broken = []
    for kind, budget in (("capex", problem.capex_budget), ("opex", problem.opex_budget)):
        for year, limit in budget.items():
            if sum(getattr(by_id[i], kind).get(year, 0) for i in chosen) > limit + 1e-9:
                broken.append(f"{kind} {year}")
    for cell, limit in problem.capacity.items():
        if sum(by_id[i].effort.get(cell, 0) for i in chosen) > limit + 1e-9:
            broken.append(f"capacity {cell}")
    forced = {c.id for c in problem.candidates if c.mandatory or c.committed} | problem.forced_in
    broken += [f"forced {i} missing" for i in forced - chosen]
    broken += [f"forced-out {i} chosen" for i in problem.forced_out & chosen]
    broken += [f"{i} lacks {r}" for i in chosen for r in by_id[i].requires if r not in chosen]
    broken += [f"group {g}" for g, ms in problem.exclusion_groups.items() if len(chosen & set(ms)) > 1]
    return broken


def brute_force(problem: SelectionProblem) -> float | None:
    ids = [c.id for c in problem.candidates]
    scores = {c.id: c.score for c in problem.candidates}
    best = None
    for k in range(len(ids) + 1):
        for combo in itertools.combinations(ids, k):
            if not violations(problem, set(combo)):
                value = sum(scores[i] for i in combo)
                best = value if best is None else max(best, value)
    return best


@settings(deadline=None, max_examples=300)
@given(problems())
def test_solution_is_feasible_optimal_and_at_least_greedy(problem):
    expected = brute_force(problem)
    if expected is None:
        with pytest.raises(InfeasibleSelection) as exc:
            solve(problem)
        assert exc.value.conflicts
        return
    result = solve(problem)
    assert violations(problem, set(result.selected)) == []
    assert result.proven_optimal
    assert result.objective == pytest.approx(expected)
    for g in result.greedy:
        assert violations(problem, set(g.selected)) == []
        assert result.objective >= g.value - 1e-9
    for c in result.constraints:
        assert c.usage <= c.limit + 1e-9


@settings(deadline=None, max_examples=200)
@given(problems())
def test_lp_guided_start_is_feasible_and_never_above_the_optimum(problem):
    expected = brute_force(problem)
    if expected is None:
        return
    model = _compile(problem)
    relaxation = _lp_relaxation(model)
    assert relaxation is not None
    vector = _lp_guided_vector(model, *relaxation)
    chosen = {model.ids[i] for i in vector.nonzero()[0]}
    assert violations(problem, chosen) == []
    assert sum(c.score for c in problem.candidates if c.id in chosen) <= expected + 1e-9
    start, greedy_results = _best_start(model)
    assert violations(problem, {model.ids[i] for i in start.nonzero()[0]}) == []
    assert model.scores @ start >= max(g.value for g in greedy_results) - 1e-9


@settings(deadline=None, max_examples=200)
@given(problems(), st.randoms(use_true_random=False))
def test_plan_check_agrees_with_independent_rules(problem, rnd):
    model = _compile(problem)
    chosen = {c.id for c in problem.candidates if rnd.random() < 0.5}
    x = np.array([float(i in chosen) for i in model.ids])
    assert _is_plan(model, x) == (violations(problem, chosen) == [])


@settings(deadline=None, max_examples=60)
@given(problems(max_items=6))
def test_frontier_value_is_non_decreasing_in_budget(problem):
    points = efficient_frontier(problem, default_budget_factors(10, 0.0, 2.0))
    assert len(points) == 10
    feasible = [p for p in points if p.value is not None]
    assert all(p.conflicts for p in points if p.value is None)
    values = [p.value for p in feasible]
    assert values == sorted(values)
    for point in feasible:
        assert violations(problem.scaled(point.factor), set(point.selected)) == []
        assert point.value == pytest.approx(brute_force(problem.scaled(point.factor)))


def test_time_limited_solve_reports_gap_and_keeps_a_feasible_plan_at_least_greedy():
    rng = random.Random(3)
    cells = [(t, f"2027-Q{q}") for t in ("Network", "Security", "Cloud") for q in (1, 2, 3, 4)]
    candidates = tuple(
        Candidate(
            f"I{i:03d}",
            round(rng.uniform(10, 90), 1),
            capex={2027: rng.randrange(50, 500) * 1000.0},
            effort={cell: float(rng.randrange(5, 40)) for cell in rng.sample(cells, 3)},
        )
        for i in range(300)
    )
    problem = SelectionProblem(candidates, capex_budget={2027: 25e6}, capacity=dict.fromkeys(cells, 300.0))
    result = solve(problem, time_limit=0.0)
    assert violations(problem, set(result.selected)) == []
    assert result.objective >= result.best_greedy.value
    assert result.proven_optimal == (result.status == "Optimal")
    assert result.proven_optimal or result.mip_gap > 0
