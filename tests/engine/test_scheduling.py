"""Scheduling engine: PSPLIB known optima, invariants (Hypothesis) and the portfolio planner."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portolan.engine.psplib import read_makespans, read_sm
from portolan.engine.scheduling import (
    PlanDependency,
    PlanItem,
    PlanningError,
    PortfolioProblem,
    RcpspProblem,
    critical_path_bound,
    heuristic_schedule,
    lower_bound,
    makespan_of,
    schedule_portfolio,
    serial_sgs,
    solve_rcpsp,
    validate_portfolio,
    validate_schedule,
)
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA / "scheduling" / "psplib"
# One instance from every fifth parameter set, across the whole range of J30 difficulty.
J30_SAMPLE = [
    f"j30{p}_{i}"
    for p, i in [(1, 2), (5, 5), (9, 5), (13, 4), (17, 2), (21, 1), (25, 9), (29, 10), (37, 1), (45, 3)]
]


# ---------------------------------------------------------------------------- RCPSP, real data


@pytest.fixture(scope="module")
def j30_optimum() -> dict[str, int]:
    return read_makespans(DATA / "solutions" / "j30opt.sm")


@pytest.mark.parametrize("name", J30_SAMPLE)
def test_cp_sat_finds_the_published_j30_optimum(name: str, j30_optimum: dict[str, int]) -> None:
    problem = read_sm(DATA / "j30" / f"{name}.sm")
    solution = solve_rcpsp(problem, time_limit=10.0)
    assert validate_schedule(problem, solution.starts) == []
    assert solution.makespan == j30_optimum[name]
    assert critical_path_bound(problem) <= solution.lower_bound <= solution.makespan
    assert solution.optimal == (solution.lower_bound == solution.makespan)


@pytest.mark.parametrize("name", J30_SAMPLE[:4])
def test_heuristic_is_valid_and_not_below_the_optimum(name: str, j30_optimum: dict[str, int]) -> None:
    problem = read_sm(DATA / "j30" / f"{name}.sm")
    starts = heuristic_schedule(problem, samples=5)
    assert validate_schedule(problem, starts) == []
    assert makespan_of(problem, starts) >= j30_optimum[name]


# ---------------------------------------------------------------------------- RCPSP, invariants


def _chain() -> RcpspProblem:
    """0 -> 1 -> 3 and 0 -> 2 -> 3; jobs 1 and 2 cannot overlap (2 + 2 > 3)."""
    return RcpspProblem(
        name="diamond",
        durations=(0, 3, 2, 0),
        successors=((1, 2), (3,), (3,), ()),
        demands=((0,), (2,), (2,), (0,)),
        capacities=(3,),
        horizon=10,
    )


def test_validator_reports_precedence_and_capacity_violations() -> None:
    problem = _chain()
    assert validate_schedule(problem, [0, 0, 3, 5]) == []
    violations = validate_schedule(problem, [0, 0, 1, 2])
    assert "resource 0 uses 4 > 3 at time 1" in violations
    assert "job 3 starts at 2 before its predecessor 1 finishes at 3" in violations
    assert validate_schedule(problem, [0, 0]) == ["expected 4 start times, got 2"]


def test_bounds_and_exact_solution_on_a_small_project() -> None:
    problem = _chain()
    assert critical_path_bound(problem) == 3
    assert lower_bound(problem) == 4  # energy: (3*2 + 2*2) / 3 rounded up
    solution = solve_rcpsp(problem, time_limit=5.0)
    assert (solution.makespan, solution.optimal) == (5, True)


def test_serial_sgs_refuses_a_list_that_breaks_precedence() -> None:
    with pytest.raises(ValueError, match="before its predecessor"):
        serial_sgs(_chain(), [1, 0, 2, 3])


def test_cycle_is_refused() -> None:
    problem = RcpspProblem("cycle", (1, 1), ((1,), (0,)), ((0,), (0,)), (1,), 5)
    with pytest.raises(ValueError, match="cycle"):
        critical_path_bound(problem)


@st.composite
def rcpsp_problems(draw: st.DrawFn) -> RcpspProblem:
    """Random DAGs (arcs go from lower to higher job numbers) with 1-3 renewable resources."""
    n = draw(st.integers(2, 9))
    k = draw(st.integers(1, 3))
    capacities = tuple(draw(st.lists(st.integers(1, 6), min_size=k, max_size=k)))
    durations = tuple(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)))
    demands = tuple(tuple(draw(st.integers(0, c)) for c in capacities) for _ in range(n))
    successors = tuple(tuple(j for j in range(i + 1, n) if draw(st.integers(0, 3)) == 0) for i in range(n))
    return RcpspProblem("random", durations, successors, demands, capacities, sum(durations))


@settings(max_examples=80, deadline=None)
@given(rcpsp_problems(), st.integers(0, 3))
def test_heuristic_schedules_are_always_valid(problem: RcpspProblem, seed: int) -> None:
    starts = heuristic_schedule(problem, samples=3, seed=seed)
    assert validate_schedule(problem, starts) == []
    assert makespan_of(problem, starts) >= lower_bound(problem) >= critical_path_bound(problem)


@settings(max_examples=40, deadline=None)
@given(rcpsp_problems())
def test_exact_schedules_are_valid_and_never_beat_the_bounds(problem: RcpspProblem) -> None:
    solution = solve_rcpsp(problem, time_limit=5.0, heuristic_samples=2)
    assert validate_schedule(problem, solution.starts) == []
    assert solution.makespan >= solution.lower_bound >= critical_path_bound(problem)
    assert solution.optimal == (solution.makespan == solution.lower_bound)
    assert solution.makespan <= makespan_of(problem, heuristic_schedule(problem, samples=2))


# ---------------------------------------------------------------------------- portfolio planner

METHODS = ["heuristic", "cp-sat"]


def _plan(items, deps=(), capacity=None) -> PortfolioProblem:
    return PortfolioProblem(
        items=tuple(items),
        dependencies=tuple(deps),
        capacity=capacity or {"Network": (20.0,), "Cloud": (10.0,)},
        start_period=(2027, 1),
    )


def _schedule(problem: PortfolioProblem, method: str):
    result = schedule_portfolio(problem, method=method, time_limit=5.0)
    assert result.method == method
    return result


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("kind", "lag", "expected_start"),
    [
        ("FS", 1, 4),  # B starts a month after A's 3 months end
        ("SS", 1, 1),  # B starts a month after A starts
        ("FF", 1, 2),  # B (2 months) ends a month after A ends: end 4
        ("SF", 1, 0),  # B ends at least a month after A starts: B's end >= 1, so no delay
        ("FS", -1, 2),  # a negative lag (lead) lets B start in A's last month
    ],
)
def test_dependency_types_with_lags(method: str, kind: str, lag: int, expected_start: int) -> None:
    problem = _plan(
        [PlanItem("A", 3, {"Network": 10}), PlanItem("B", 2, {"Cloud": 5})],
        [PlanDependency("A", "B", kind, lag)],
    )
    result = _schedule(problem, method)
    assert result.item("A").start == 0
    assert result.item("B").start == expected_start
    assert result.item("B").earliest_start == expected_start
    assert validate_portfolio(problem, result) == []


@pytest.mark.parametrize("method", METHODS)
def test_start_to_finish_with_a_late_predecessor(method: str) -> None:
    problem = _plan(
        [PlanItem("A", 1, {}, earliest_start=5), PlanItem("B", 2, {})],
        [PlanDependency("A", "B", "SF", 1)],
    )
    assert _schedule(problem, method).item("B").start == 4  # B's end (6) >= A's start (5) + 1


@pytest.mark.parametrize("method", METHODS)
def test_capacity_delay_is_explained_by_team_and_month(method: str) -> None:
    problem = _plan(
        [
            PlanItem("INF-001", 2, {"Network": 40}, fixed_start=0),  # 20/month: the whole team
            PlanItem("INF-002", 1, {"Network": 20}),
            PlanItem("INF-003", 1, {"Cloud": 5}),
            PlanItem("INF-004", 1, {"Cloud": 5}),
        ],
        [PlanDependency("INF-002", "INF-003")],
    )
    result = _schedule(problem, method)
    assert [result.item(k).start for k in ("INF-001", "INF-002", "INF-003", "INF-004")] == [0, 2, 3, 0]
    assert result.item("INF-002").reasons == ("waits for Network capacity in 2027-01",)
    assert result.item("INF-003").reasons == ("waits for INF-002",)
    assert result.item("INF-004").reasons == ()
    assert result.critical_chain == ("INF-001", "INF-002", "INF-003")
    assert result.feasible


@pytest.mark.parametrize("method", METHODS)
def test_team_load_reports_demand_against_capacity(method: str) -> None:
    problem = _plan(
        [PlanItem("INF-001", 4, {"Network": 30, "Cloud": 10})],
        capacity={"Network": (20.0, 10.0), "Cloud": (5.0,)},
    )
    result = _schedule(problem, method)
    network = [(row.label, row.demand, row.capacity) for row in result.load if row.team == "Network"]
    assert network == [
        ("2027-01", 7.5, 20.0),
        ("2027-02", 7.5, 10.0),
        ("2027-03", 7.5, 10.0),
        ("2027-04", 7.5, 10.0),
    ]
    assert sum(row.demand for row in result.load if row.team == "Cloud") == pytest.approx(10.0)


@pytest.mark.parametrize("method", METHODS)
def test_deadline_broken_by_a_predecessor_is_explained_by_name(method: str) -> None:
    problem = _plan(
        [
            PlanItem("INF-031", 9, {"Network": 90}),
            PlanItem("INF-040", 2, {"Cloud": 10}, deadline=5),
        ],
        [PlanDependency("INF-031", "INF-040")],
    )
    result = _schedule(problem, method)
    assert result.infeasibilities == (
        "INF-040 cannot meet its deadline 2027-06 because of INF-031 (earliest finish 2027-09)",
    )
    assert result.item("INF-040").start == 9  # still planned, as early as possible
    assert not result.feasible


@pytest.mark.parametrize("method", METHODS)
def test_deadline_broken_by_capacity_is_explained(method: str) -> None:
    problem = _plan(
        [
            PlanItem("INF-010", 3, {"Cloud": 30}, fixed_start=0),
            PlanItem("INF-011", 1, {"Cloud": 10}, deadline=1),
        ]
    )
    result = _schedule(problem, method)
    assert result.item("INF-011").start == 3
    assert result.infeasibilities == (
        "INF-011 cannot meet its deadline 2027-02 with the available capacity: finishes 2027-04 "
        "(waits for Cloud capacity in 2027-01)",
    )


@pytest.mark.parametrize("method", METHODS)
def test_missing_estimates_are_listed_not_scheduled(method: str) -> None:
    problem = _plan(
        [
            PlanItem("INF-001", None, {"Network": 10}),
            PlanItem("INF-002", 2, None),
            PlanItem("INF-003", 2, {"Network": None}),
            PlanItem("INF-004", 1, {"Cloud": 1}),
        ],
        [PlanDependency("INF-001", "INF-004")],
    )
    result = _schedule(problem, method)
    assert result.missing_estimates == ("INF-001", "INF-002", "INF-003")
    assert [item.key for item in result.items] == ["INF-004"]
    assert "INF-004: dependency on INF-001 ignored (INF-001 is not scheduled)" in result.warnings


def test_a_cycle_is_refused_naming_it() -> None:
    problem = _plan(
        [PlanItem(k, 1, {}) for k in ("INF-001", "INF-002", "INF-003", "INF-004")],
        [
            PlanDependency("INF-004", "INF-001"),
            PlanDependency("INF-001", "INF-002"),
            PlanDependency("INF-002", "INF-003", "SS"),
            PlanDependency("INF-003", "INF-001", "FF"),
        ],
    )
    with pytest.raises(PlanningError, match="dependency cycle: INF-001 -> INF-002 -> INF-003 -> INF-001"):
        schedule_portfolio(problem)


@pytest.mark.parametrize(
    ("items", "deps", "message"),
    [
        ([PlanItem("A", 1, {"Storage": 1})], [], "no capacity given for team"),
        ([PlanItem("A", 1, {}), PlanItem("A", 1, {})], [], "duplicate item keys: A"),
        ([PlanItem("A", 1, {})], [PlanDependency("A", "Z")], "unknown item Z"),
        ([PlanItem("A", 1, {}), PlanItem("B", 1, {})], [PlanDependency("A", "B", "XX")], "unknown type"),
    ],
)
def test_unplannable_input_is_refused(items, deps, message: str) -> None:
    with pytest.raises(PlanningError, match=message):
        schedule_portfolio(_plan(items, deps))


@pytest.mark.parametrize("method", METHODS)
def test_fixed_dates_are_kept_and_conflicts_explained(method: str) -> None:
    problem = _plan(
        [
            PlanItem("INF-001", 4, {"Network": 20}),
            PlanItem("INF-002", 1, {"Cloud": 1}, fixed_start=2),
            PlanItem("INF-003", 1, {"Cloud": 1}, fixed_start=6),
        ],
        [PlanDependency("INF-001", "INF-002")],
    )
    result = _schedule(problem, method)
    assert result.item("INF-003").start == 6
    assert result.item("INF-002").start == 4
    assert result.infeasibilities == (
        "INF-002 cannot start on its fixed date 2027-03 because of INF-001 (earliest finish 2027-04)",
    )


def test_an_impossible_monthly_demand_is_explained() -> None:
    problem = _plan([PlanItem("INF-001", 1, {"Cloud": 25}), PlanItem("INF-002", 1, {"Cloud": 5})])
    result = schedule_portfolio(problem)
    assert [item.key for item in result.items] == ["INF-002"]
    assert result.infeasibilities == (
        "INF-001 needs 25 person-days/month of Cloud for 1 month(s), "
        "more than its capacity allows; not scheduled",
    )


def test_large_plans_take_the_heuristic_path() -> None:
    items = [PlanItem(f"INF-{k:03d}", 1 + k % 4, {"Network": 5.0 + k % 7}) for k in range(320)]
    deps = [PlanDependency(f"INF-{k - 7:03d}", f"INF-{k:03d}") for k in range(7, 320, 3)]
    problem = _plan(items, deps)
    result = schedule_portfolio(problem)
    assert result.method == "heuristic"
    assert validate_portfolio(problem, result) == []
    assert all(item.reasons for item in result.items if item.start > item.earliest_start)


@st.composite
def portfolio_problems(draw: st.DrawFn) -> PortfolioProblem:
    n = draw(st.integers(1, 8))
    teams = {
        "Network": (draw(st.floats(10, 40)),),
        "Cloud": (draw(st.floats(10, 40)), draw(st.floats(5, 40))),
    }
    items = [
        PlanItem(
            f"INF-{k}",
            draw(st.integers(1, 4)),
            {t: draw(st.floats(0, 40)) for t in draw(st.sets(st.sampled_from(sorted(teams))))},
            earliest_start=draw(st.integers(0, 3)),
            ongoing=draw(st.integers(0, 4)) == 0,
        )
        for k in range(n)
    ]
    deps = [
        PlanDependency(
            f"INF-{i}", f"INF-{j}", draw(st.sampled_from(["FS", "SS", "FF", "SF"])), draw(st.integers(-1, 2))
        )
        for i in range(n)
        for j in range(i + 1, n)
        if draw(st.integers(0, 3)) == 0
    ]
    return _plan(items, deps, teams)


@settings(max_examples=40, deadline=None)
@given(portfolio_problems(), st.sampled_from(METHODS))
def test_portfolio_plans_are_valid_and_every_delay_has_a_reason(
    problem: PortfolioProblem, method: str
) -> None:
    result = schedule_portfolio(problem, method=method, time_limit=2.0)
    assert validate_portfolio(problem, result) == []
    # Without deadlines or fixed dates, only a monthly demand above every month's capacity is infeasible.
    assert all(line.endswith("not scheduled") for line in result.infeasibilities)
    assert len(result.items) + len(result.infeasibilities) == len(problem.items)
    for item in result.items:
        assert item.start >= item.earliest_start
        assert bool(item.reasons) == (item.start > item.earliest_start)
    if result.items:
        assert result.critical_chain
        projects = [i for i in result.items if not problem_item(problem, i.key).ongoing] or result.items
        assert result.end == max(item.start + problem_item(problem, item.key).duration for item in projects)
        assert not any(problem_item(problem, k).ongoing for k in result.critical_chain) or all(
            problem_item(problem, i.key).ongoing for i in result.items
        )


def problem_item(problem: PortfolioProblem, key: str) -> PlanItem:
    return next(item for item in problem.items if item.key == key)


@pytest.mark.parametrize("method", METHODS)
def test_an_item_whose_only_months_are_taken_is_reported_not_planned_forever(method: str) -> None:
    """Cloud has 40 person-days in its first month and 5 afterwards: two items needing 30 in one
    month cannot both fit. The heavier one gets the month; the other is explained, not looped on."""
    items = [
        PlanItem("INF-1", 1, {"Cloud": 30.0}, weight=5),
        PlanItem("INF-2", 1, {"Cloud": 30.0}),
        PlanItem("INF-3", 2, {"Network": 10.0}),
    ]
    problem = _plan(items, capacity={"Network": (20.0,), "Cloud": (40.0, 5.0)})
    result = _schedule(problem, method)
    assert [i.key for i in result.items] == ["INF-1", "INF-3"]
    assert result.items[0].start == 0
    assert result.infeasibilities == (
        "INF-2 needs 30 person-days/month of Cloud for 1 month(s); no month it can start in (after "
        "its dependencies) has that much Cloud capacity left once the work planned before it is "
        "placed; not scheduled",
    )
    assert validate_portfolio(problem, result) == []


@pytest.mark.parametrize("method", METHODS)
def test_run_work_holds_capacity_but_is_not_the_critical_chain(method: str) -> None:
    """A 36-month run item finishes last, yet the plan ends, and its chain runs, through the
    projects; the run work's capacity is still held (a project needing more waits for it)."""
    items = [
        PlanItem("RUN-1", 36, {"Network": 36 * 15.0}, fixed_start=0, ongoing=True),
        PlanItem("INF-1", 3, {"Network": 15.0}),
        PlanItem("INF-2", 2, {"Cloud": 10.0}),
        PlanItem("INF-3", 1, {"Network": 10.0}),
    ]
    deps = [PlanDependency("INF-1", "INF-2")]
    result = _schedule(_plan(items, deps), method)
    assert result.item("RUN-1").finish == 35
    assert result.item("INF-1").start == 0 and result.item("INF-2").start == 3
    assert result.item("INF-3").start == 36  # 15 + 10 > 20 person-days while the run work lasts
    assert result.end == 37
    assert result.critical_chain == ("INF-3",)


@pytest.mark.parametrize("method", METHODS)
def test_capacity_given_beyond_the_plan_horizon_is_used_month_by_month(method: str) -> None:
    """Capacity listed for more months than the plan first spans: free months 4-6 are found,
    and a month with no capacity is never booked (review finding: months past the first horizon
    were read as the last listed value)."""
    capacity = {"T": (0.0, 0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 0.0)}
    items = [PlanItem("A", 1, {"T": 5.0}), PlanItem("B", 1, {"T": 10.0}), PlanItem("C", 1, {"T": 10.0})]
    problem = _plan(items, capacity=capacity)
    result = _schedule(problem, method)
    assert result.infeasibilities == ()
    assert sorted(i.start for i in result.items) == [4, 5, 6]  # no two fit in one month of 10
    assert validate_portfolio(problem, result) == []


@pytest.mark.parametrize("method", METHODS)
def test_a_month_without_capacity_between_two_with_is_skipped(method: str) -> None:
    problem = _plan(
        [PlanItem("A", 1, {"T": 10.0}), PlanItem("B", 1, {"T": 10.0})], capacity={"T": (10.0, 0.0, 0.0, 10.0)}
    )
    result = _schedule(problem, method)
    assert sorted(i.start for i in result.items) == [0, 3]
    assert validate_portfolio(problem, result) == []
