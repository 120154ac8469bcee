"""The genetic algorithm's compiled kernels against the pure-Python reference, and its results."""

import math
import random
import time

import numba as nb
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portolan.engine import rcpsp, rcpsp_ga
from portolan.engine.psplib import read_index, read_makespans, read_sm
from portolan.engine.rcpsp import (
    GA_FROM_JOBS,
    RcpspProblem,
    _activity_list,
    genetic_schedule,
    lower_bound,
    makespan_of,
    serial_sgs,
    solve_rcpsp,
    validate_schedule,
)
from tests.engine.test_scheduling import rcpsp_problems
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "scheduling" / "psplib"


def _arrays(problem: RcpspProblem) -> rcpsp_ga.Arrays:
    return rcpsp_ga.Arrays.build(
        problem.durations, problem.demands, problem.capacities, problem.successors, problem.topological_order
    )


def _kernel_sgs(problem: RcpspProblem, order: list[int]) -> tuple[int, list[int]]:
    a = _arrays(problem)
    work = rcpsp_ga._Work.new(problem.n_jobs, int(a.durations.sum()) + 1, len(a.capacities))
    makespan = rcpsp_ga._sgs(
        np.asarray(order, np.int64), a.durations, a.demands, a.capacities, a.pred_ptr, a.pred_idx,
        work.usage, work.start,
    )  # fmt: skip
    return int(makespan), [int(s) for s in work.start]


@settings(max_examples=80, deadline=None)
@given(rcpsp_problems(), st.integers(0, 10_000))
def test_compiled_sgs_schedules_exactly_like_the_python_one(problem: RcpspProblem, seed: int) -> None:
    rng = random.Random(seed)
    order = _activity_list(problem, [rng.random() for _ in range(problem.n_jobs)])
    makespan, starts = _kernel_sgs(problem, order)
    assert starts == serial_sgs(problem, order)
    assert makespan == makespan_of(problem, starts)


@settings(max_examples=60, deadline=None)
@given(rcpsp_problems(), st.integers(0, 3), st.integers(1, 6))
def test_genetic_schedules_are_valid_deterministic_and_never_worse_with_more_generations(
    problem: RcpspProblem, seed: int, generations: int
) -> None:
    start = genetic_schedule(problem, generations=0, population=8, seed=seed)
    evolved = genetic_schedule(problem, generations=generations, population=8, seed=seed)
    assert validate_schedule(problem, evolved) == []
    assert makespan_of(problem, evolved) >= lower_bound(problem)
    assert makespan_of(problem, evolved) <= makespan_of(problem, start)
    assert genetic_schedule(problem, generations=generations, population=8, seed=seed) == evolved


def test_schedules_are_counted_per_sgs_pass() -> None:
    problem = read_sm(DATA / "j120" / "j1206_1.sm")
    a = _arrays(problem)
    initial = [_activity_list(problem, [float(j) for j in range(problem.n_jobs)])] * 4
    none = rcpsp_ga.genetic_schedule(a, initial, generations=0)
    some = rcpsp_ga.genetic_schedule(a, initial, generations=3)
    # each list: one forward pass, then two per justification round (at least one round)
    assert 3 * 4 + 1 <= none.schedules < some.schedules
    assert some.schedules >= none.schedules + 3 * 4 * 3


@pytest.mark.parametrize("name", ["j3013_1", "j6029_1", "j1206_1"])
def test_the_genetic_algorithm_improves_on_its_starting_lists(name: str) -> None:
    folder = "j120" if name.startswith("j120") else name[:3]
    problem = read_sm(DATA / folder / f"{name}.sm")
    best_known = read_index(DATA / "psplib_index.csv")[name].best_known_ub
    start = makespan_of(problem, genetic_schedule(problem, generations=0))
    evolved = genetic_schedule(problem, generations=40)
    assert validate_schedule(problem, evolved) == []
    assert best_known <= makespan_of(problem, evolved) < start


def test_genetic_algorithm_refuses_what_it_cannot_schedule() -> None:
    problem = RcpspProblem("over", (0, 2, 0), ((1,), (2,), ()), ((0,), (3,), (0,)), (2,), 2)
    with pytest.raises(ValueError, match="demands more than"):
        genetic_schedule(problem, generations=1)
    fine = RcpspProblem("fine", (0, 2, 0), ((1,), (2,), ()), ((0,), (2,), (0,)), (2,), 2)
    with pytest.raises(ValueError, match="at least one activity list"):
        genetic_schedule(fine, generations=1, population=0)
    with pytest.raises(ValueError, match="time limit or a number of generations"):
        genetic_schedule(fine)
    assert genetic_schedule(fine, generations=2, population=1) == [0, 0, 2]
    arrays = _arrays(fine)
    with pytest.raises(ValueError, match="after its predecessors"):
        rcpsp_ga.genetic_schedule(arrays, [[1, 0, 2]], generations=1)
    with pytest.raises(ValueError, match="each job once"):
        rcpsp_ga.genetic_schedule(arrays, [[0, 1, 1]], generations=1)
    with pytest.raises(ValueError, match="not an order of the jobs"):
        rcpsp_ga.Arrays.build((0, 2, 0), ((0,), (2,), (0,)), (2,), ((1,), (2,), ()), (0, 2, 1))
    with pytest.raises(ValueError, match="demands more than"):
        rcpsp_ga.Arrays.build((1,), ((2,),), (1,), ((),), (0,))


def test_psplib_instances_start_cp_sat_from_the_genetic_algorithm() -> None:
    tiny = RcpspProblem("tiny", (0, 3, 2, 0), ((1, 2), (3,), (3,), ()), ((0,), (2,), (2,), (0,)), (3,), 5)
    j30 = read_sm(DATA / "j30" / "j301_1.sm")
    assert tiny.n_jobs < GA_FROM_JOBS <= j30.n_jobs
    solution = solve_rcpsp(j30, time_limit=2.0)
    assert solution.method.startswith("genetic")
    assert validate_schedule(j30, list(solution.starts)) == []
    assert solution.makespan == read_index(DATA / "psplib_index.csv")["j301_1"].best_known_ub
    small = solve_rcpsp(tiny, time_limit=2.0)
    assert small.method.startswith("heuristic") and (small.makespan, small.optimal) == (5, True)


def test_seeds_give_different_searches() -> None:
    problem = read_sm(DATA / "j120" / "j1206_1.sm")
    runs = {tuple(genetic_schedule(problem, generations=6, population=40, seed=s)) for s in range(3)}
    assert len(runs) == 3


def test_warm_up_runs_the_kernels() -> None:
    rcpsp_ga.warm_up()
    assert rcpsp_ga._sgs.signatures and rcpsp_ga._evolve.signatures


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=2, max_size=30), st.data())
def test_survivors_keep_distinct_lists_before_copies(
    rows: list[tuple[int, int]], data: st.DataObject
) -> None:
    """Every distinct list is kept (its fittest copy) before any second copy, fittest first."""
    fit = np.array([f for f, _ in rows], np.int64)
    lists = np.array([[v, 9, 9] for _, v in rows], np.int64)  # lists equal when their v is
    size = data.draw(st.integers(1, len(rows)))
    chosen = rcpsp_ga._survivors(fit, lists, size).tolist()
    assert len(set(chosen)) == size and min(fit[chosen]) == fit.min()
    distinct = {}
    for i in sorted(range(len(rows)), key=lambda i: (fit[i], i)):
        distinct.setdefault((fit[i], rows[i][1]), i)
    ranked = sorted(distinct.values(), key=lambda i: (fit[i], i))
    assert chosen[: min(size, len(ranked))] == ranked[:size]


@nb.njit
def _mutated(order, chance, shift, direct, seed):  # noqa: ANN001, ANN202
    np.random.seed(seed)
    child = order.copy()
    rcpsp_ga._mutate(child, chance, shift, direct)
    return child


@settings(max_examples=80, deadline=None)
@given(rcpsp_problems(), st.integers(0, 10_000), st.sampled_from([0.3, 1.0]), st.booleans())
def test_mutations_keep_every_list_precedence_feasible(
    problem: RcpspProblem, seed: int, chance: float, shift: bool
) -> None:
    rng = random.Random(seed)
    a = _arrays(problem)
    order = np.asarray(_activity_list(problem, [rng.random() for _ in range(problem.n_jobs)]), np.int64)
    assert a.feasible(_mutated(order, chance, shift, a.direct, seed))


def test_the_shift_moves_jobs_only_where_precedences_allow() -> None:
    free = RcpspProblem("free", (1,) * 8, ((),) * 8, ((1,),) * 8, (1,), 8)
    chain = RcpspProblem("chain", (1,) * 8, tuple((j + 1,) for j in range(7)) + ((),), ((1,),) * 8, (1,), 8)
    order = np.arange(8, dtype=np.int64)
    moved = {tuple(_mutated(order, 1.0, True, _arrays(free).direct, s)) for s in range(50)}
    assert len(moved) > 40 and all(sorted(m) == list(range(8)) for m in moved)
    # a job can land more than one place away in a single move
    assert any(abs(m.index(j) - j) > 1 for m in moved for j in range(8))
    assert {tuple(_mutated(order, 1.0, True, _arrays(chain).direct, s)) for s in range(20)} == {
        tuple(range(8))
    }


def test_a_population_evolved_in_steps_is_the_one_evolved_at_once() -> None:
    problem = read_sm(DATA / "j30" / "j3013_1.sm")
    at_once = rcpsp._population(problem, 40, seed=3, shift=True)
    at_once.evolve(generations=4)
    in_steps = rcpsp._population(problem, 40, seed=3, shift=True)
    in_steps.evolve(generations=1)
    in_steps.evolve(generations=3)
    assert in_steps.generations == at_once.generations == 4
    assert (in_steps.lists == at_once.lists).all() and in_steps.result() == at_once.result()


def test_the_reversed_island_is_read_forward_in_time() -> None:
    problem = read_sm(DATA / "j30" / "j3029_8.sm")
    islands = rcpsp._Islands(problem, seed=0)
    assert (islands.behind.arrays.direct == islands.ahead.arrays.direct.T).all()  # arcs turned round
    islands.evolve_in_turn(lambda: islands.behind.generations >= 3)
    assert islands.ahead.generations == islands.behind.generations == 3
    behind = islands.behind.result()
    forward = rcpsp.forward_in_time(problem, behind.starts)
    assert validate_schedule(problem, forward) == []
    assert makespan_of(problem, forward) == behind.makespan
    best = islands.best()
    assert validate_schedule(problem, best) == []
    assert makespan_of(problem, best) == islands.best_makespan
    assert islands.best_makespan == min(islands.ahead.result().makespan, behind.makespan)


def test_a_population_stops_when_asked_and_the_shift_reaches_the_kernel() -> None:
    problem = read_sm(DATA / "j30" / "j3013_1.sm")
    asked = rcpsp._population(problem, 40, seed=1, shift=False)
    asked.evolve(generations=5, stop=lambda: asked.generations >= 2)
    assert asked.generations == 2
    swapped = rcpsp._population(problem, 40, seed=1, shift=False)
    shifted = rcpsp._population(problem, 40, seed=1, shift=True)
    assert (swapped.lists == shifted.lists).all()
    swapped.evolve(generations=2)
    shifted.evolve(generations=2)
    assert (swapped.lists != shifted.lists).any()


def _optimum(problem: RcpspProblem) -> int:
    """The shortest makespan over every precedence-feasible list (serial SGS reaches an optimum)."""
    best = math.inf

    def extend(order: list[int], left: set[int]) -> None:
        nonlocal best
        if not left:
            best = min(best, makespan_of(problem, serial_sgs(problem, order)))
        for job in sorted(left):
            if all(p not in left for p in problem.predecessors[job]):
                extend([*order, job], left - {job})

    extend([], set(range(problem.n_jobs)))
    return int(best)


@settings(max_examples=40, deadline=None)
@given(rcpsp_problems(), st.integers(0, 3))
def test_the_bidirectional_search_gives_valid_schedules_and_sound_bounds(
    problem: RcpspProblem, seed: int
) -> None:
    assume(problem.n_jobs <= 6)
    started = time.perf_counter()
    solution = rcpsp._solve_bidirectional(problem, started + 0.3, 2, seed, started)
    assert validate_schedule(problem, solution.starts) == []
    optimum = _optimum(problem)
    assert solution.makespan >= optimum >= solution.lower_bound >= lower_bound(problem)
    assert solution.optimal == (solution.makespan == solution.lower_bound)
    assert not solution.optimal or solution.makespan == optimum
    assert solution.makespan <= makespan_of(problem, genetic_schedule(problem, generations=0, population=50))


@pytest.mark.parametrize("name", ["j3013_1", "j3029_2", "j3045_2", "j3025_4", "j3041_10", "j3037_6"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_bidirectional_search_never_claims_more_than_the_published_optimum(name: str, seed: int) -> None:
    problem = read_sm(DATA / "j30" / f"{name}.sm")
    optimum = read_makespans(DATA / "solutions" / "j30opt.sm")[name]
    started = time.perf_counter()
    solution = rcpsp._solve_bidirectional(problem, started + 0.4, 2, seed, started)
    assert validate_schedule(problem, solution.starts) == []
    assert solution.lower_bound <= optimum <= solution.makespan
    assert not solution.optimal or solution.makespan == optimum
