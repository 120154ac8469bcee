"""Capacity-aware scheduling: RCPSP (exact CP-SAT + heuristic) and the monthly portfolio planner.

Pure Python, no Django: plain dataclasses in and out.

* :func:`solve_rcpsp` — OR-Tools CP-SAT (interval variables, one cumulative per resource,
  precedences) warm-started from :func:`heuristic_schedule`; minimises the makespan.
* :func:`heuristic_schedule` — serial schedule-generation scheme (SGS) over several priority
  rules and biased random sampling, each improved by forward-backward justification.
* :func:`validate_schedule` — an independent check of precedences and capacities.
* :func:`schedule_portfolio` — initiatives by month with team capacities, FS/SS/FF/SF
  dependencies with lags, earliest starts, deadlines and fixed dates; explains every delay and
  every broken constraint by name. :func:`validate_portfolio` checks its plans independently.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from ortools.sat.python import cp_model

__all__ = [
    "DEPENDENCY_KINDS",
    "PlanDependency",
    "PlanItem",
    "PlanningError",
    "PortfolioProblem",
    "PortfolioSchedule",
    "RcpspProblem",
    "RcpspSolution",
    "ScheduledItem",
    "TeamLoad",
    "critical_path_bound",
    "earliest_starts",
    "heuristic_schedule",
    "lower_bound",
    "makespan_of",
    "schedule_portfolio",
    "serial_sgs",
    "solve_rcpsp",
    "validate_portfolio",
    "validate_schedule",
]


# --------------------------------------------------------------------------------------------
# RCPSP data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RcpspProblem:
    """A single-mode RCPSP: jobs ``0..n-1`` with durations, successors, demands per resource."""

    name: str
    durations: tuple[int, ...]
    successors: tuple[tuple[int, ...], ...]
    demands: tuple[tuple[int, ...], ...]
    capacities: tuple[int, ...]
    horizon: int

    @property
    def n_jobs(self) -> int:
        return len(self.durations)

    @cached_property
    def predecessors(self) -> tuple[tuple[int, ...], ...]:
        preds: list[list[int]] = [[] for _ in self.durations]
        for job, succs in enumerate(self.successors):
            for s in succs:
                preds[s].append(job)
        return tuple(tuple(p) for p in preds)

    @cached_property
    def topological_order(self) -> tuple[int, ...]:
        """Jobs in an order where every predecessor comes first; ``ValueError`` on a cycle."""
        return tuple(_topological_order(self.successors))

    def reversed(self) -> RcpspProblem:
        """The same project with every arc turned round (for backward scheduling)."""
        return RcpspProblem(
            self.name, self.durations, self.predecessors, self.demands, self.capacities, self.horizon
        )


@dataclass(frozen=True)
class RcpspSolution:
    """Start times (one per job), makespan and the proof status."""

    starts: tuple[int, ...]
    makespan: int
    lower_bound: int
    optimal: bool
    time_s: float
    method: str


def _topological_order(successors: Sequence[Sequence[int]]) -> list[int]:
    indegree = [0] * len(successors)
    for succs in successors:
        for s in succs:
            indegree[s] += 1
    ready = [j for j, d in enumerate(indegree) if d == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        job = heapq.heappop(ready)
        order.append(job)
        for s in successors[job]:
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(ready, s)
    if len(order) != len(successors):
        raise ValueError("the precedence graph has a cycle")
    return order


def makespan_of(problem: RcpspProblem, starts: Sequence[int]) -> int:
    return max((s + d for s, d in zip(starts, problem.durations, strict=True)), default=0)


def earliest_starts(problem: RcpspProblem) -> list[int]:
    """Critical-path (resource-free) earliest start of every job."""
    es = [0] * problem.n_jobs
    for job in problem.topological_order:
        finish = es[job] + problem.durations[job]
        for s in problem.successors[job]:
            es[s] = max(es[s], finish)
    return es


def _tails(problem: RcpspProblem) -> list[int]:
    """Longest path from each job's finish to the project end (resource-free)."""
    tail = [0] * problem.n_jobs
    for job in reversed(problem.topological_order):
        tail[job] = max((problem.durations[s] + tail[s] for s in problem.successors[job]), default=0)
    return tail


def critical_path_bound(problem: RcpspProblem) -> int:
    """Length of the longest path: the classic lower bound of the makespan."""
    return makespan_of(problem, earliest_starts(problem))


def lower_bound(problem: RcpspProblem) -> int:
    """Max of the critical-path bound and the per-resource energy bound."""
    bound = critical_path_bound(problem)
    for k, cap in enumerate(problem.capacities):
        energy = sum(d * r[k] for d, r in zip(problem.durations, problem.demands, strict=True))
        if energy and cap:
            bound = max(bound, math.ceil(energy / cap))
    return bound


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def validate_schedule(problem: RcpspProblem, starts: Sequence[int]) -> list[str]:
    """Every violated precedence, capacity or demand, as readable strings (empty when valid)."""
    if len(starts) != problem.n_jobs:
        return [f"expected {problem.n_jobs} start times, got {len(starts)}"]
    violations = [f"job {j} starts at negative time {s}" for j, s in enumerate(starts) if s < 0]
    for job, succs in enumerate(problem.successors):
        finish = starts[job] + problem.durations[job]
        violations += [
            f"job {s} starts at {starts[s]} before its predecessor {job} finishes at {finish}"
            for s in succs
            if starts[s] < finish
        ]
    for k, cap in enumerate(problem.capacities):
        usage: dict[int, int] = {}
        for job, start in enumerate(starts):
            demand = problem.demands[job][k]
            if demand > cap:
                violations.append(f"job {job} needs {demand} of resource {k}, capacity is {cap}")
            for t in range(start, start + problem.durations[job]):
                usage[t] = usage.get(t, 0) + demand
        violations += [
            f"resource {k} uses {u} > {cap} at time {t}" for t, u in sorted(usage.items()) if u > cap
        ]
    return violations


# --------------------------------------------------------------------------------------------
# Heuristic: serial SGS + forward-backward improvement
# --------------------------------------------------------------------------------------------


class _Profile:
    """Free capacity per time unit (rows) and resource (columns); rows past the end hold ``steady``."""

    def __init__(self, initial: np.ndarray, steady: np.ndarray) -> None:
        self.steady = np.asarray(steady, dtype=np.int64)
        self.free = np.asarray(initial, dtype=np.int64).reshape(-1, len(self.steady)).copy()

    @classmethod
    def constant(cls, capacities: Sequence[int], length: int) -> _Profile:
        return cls(np.tile(np.asarray(capacities, dtype=np.int64), (max(length, 1), 1)), capacities)

    def _ensure(self, end: int) -> None:
        if end > len(self.free):
            extra = np.tile(self.steady, (max(end, 2 * len(self.free)) - len(self.free), 1))
            self.free = np.vstack([self.free, extra])

    def first_shortage(self, start: int, duration: int, demand: np.ndarray) -> tuple[int, int] | None:
        """``(time, resource)`` of the first shortage if ``demand`` ran from ``start``, else ``None``."""
        used = np.flatnonzero(demand)
        if duration == 0 or used.size == 0:
            return None
        self._ensure(start + duration)
        short = self.free[start : start + duration, used] < demand[used]
        rows = np.flatnonzero(short.any(axis=1))
        if rows.size == 0:
            return None
        row = int(rows[0])
        return start + row, int(used[np.flatnonzero(short[row])[0]])

    def earliest_fit(self, earliest: int, duration: int, demand: np.ndarray) -> int:
        """First ``t >= earliest`` where ``demand`` fits during ``[t, t + duration)``."""
        used = np.flatnonzero(demand)
        if duration == 0 or used.size == 0:
            return earliest
        t = earliest
        while True:
            self._ensure(t + duration)
            window = self.free[t : t + duration, used]
            bad = np.flatnonzero((window < demand[used]).any(axis=1))
            if bad.size == 0:
                return t
            t += int(bad[-1]) + 1

    def reserve(self, start: int, duration: int, demand: np.ndarray, sign: int = 1) -> None:
        self._ensure(start + duration)
        self.free[start : start + duration] -= sign * demand


def serial_sgs(problem: RcpspProblem, activity_list: Sequence[int]) -> list[int]:
    """Serial SGS: schedule jobs in list order, each at its earliest precedence- and resource-feasible
    time. ``activity_list`` must list every predecessor before its successors."""
    demands = np.asarray(problem.demands, dtype=np.int64).reshape(problem.n_jobs, -1)
    if (demands > np.asarray(problem.capacities)).any():
        raise ValueError("a job demands more than a resource's capacity")
    profile = _Profile.constant(problem.capacities, sum(problem.durations) + 1)
    starts = [-1] * problem.n_jobs
    for job in activity_list:
        earliest = 0
        for p in problem.predecessors[job]:
            if starts[p] < 0:
                raise ValueError(f"activity list puts job {job} before its predecessor {p}")
            earliest = max(earliest, starts[p] + problem.durations[p])
        start = profile.earliest_fit(earliest, problem.durations[job], demands[job])
        profile.reserve(start, problem.durations[job], demands[job])
        starts[job] = start
    return starts


def _activity_list(problem: RcpspProblem, priority: Sequence[float]) -> list[int]:
    """Precedence-feasible list taking, at each step, the eligible job of lowest priority value."""
    remaining = [len(p) for p in problem.predecessors]
    eligible = [(priority[j], j) for j in range(problem.n_jobs) if remaining[j] == 0]
    heapq.heapify(eligible)
    order: list[int] = []
    while eligible:
        _, job = heapq.heappop(eligible)
        order.append(job)
        for s in problem.successors[job]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(eligible, (priority[s], s))
    return order


def _list_by_start(problem: RcpspProblem, starts: Sequence[int]) -> list[int]:
    rank = {job: i for i, job in enumerate(problem.topological_order)}
    return sorted(range(problem.n_jobs), key=lambda j: (starts[j], rank[j]))


def _justify(problem: RcpspProblem, backward: RcpspProblem, starts: list[int]) -> list[int]:
    """Forward-backward improvement (Valls et al. 2005) until the makespan stops shrinking."""
    best, best_ms = starts, makespan_of(problem, starts)
    while True:
        ms = makespan_of(problem, best)
        rev = [ms - s - d for s, d in zip(best, problem.durations, strict=True)]
        rev = serial_sgs(backward, _list_by_start(backward, rev))
        rev_ms = makespan_of(backward, rev)
        right = [rev_ms - s - d for s, d in zip(rev, problem.durations, strict=True)]
        left = serial_sgs(problem, _list_by_start(problem, right))
        left_ms = makespan_of(problem, left)
        if left_ms >= best_ms:
            return best
        best, best_ms = left, left_ms


def _priority_rules(problem: RcpspProblem) -> dict[str, list[float]]:
    """Classic rules as 'smaller is first' values: LFT, LST, MTS, GRPW, MIS."""
    es = earliest_starts(problem)
    tail = _tails(problem)
    cp = critical_path_bound(problem)
    lft = [cp - t for t in tail]
    all_succ: list[set[int]] = [set() for _ in range(problem.n_jobs)]
    for job in reversed(problem.topological_order):
        for s in problem.successors[job]:
            all_succ[job] |= all_succ[s] | {s}
    d = problem.durations
    return {
        "LFT": lft,
        "LST": [f - d[j] for j, f in enumerate(lft)],
        "MTS": [-len(s) for s in all_succ],
        "GRPW": [-(d[j] + sum(d[s] for s in problem.successors[j])) for j in range(problem.n_jobs)],
        "MSLK": [lft[j] - es[j] - d[j] for j in range(problem.n_jobs)],
    }


def heuristic_schedule(
    problem: RcpspProblem,
    *,
    samples: int = 50,
    seed: int = 0,
    time_limit: float | None = None,
) -> list[int]:
    """Best schedule over the priority rules plus ``samples`` noisy-LFT lists, each justified.

    Deterministic for a given ``seed`` unless ``time_limit`` cuts the sampling short.
    """
    started = time.perf_counter()
    backward = problem.reversed()
    rules = _priority_rules(problem)
    best: list[int] | None = None
    lb = lower_bound(problem)
    rng = random.Random(seed)
    lft, spread = rules["LFT"], max(1, critical_path_bound(problem))
    candidates: list[Callable[[], list[float]]] = [lambda p=p: p for p in rules.values()]
    candidates += [lambda: [v + rng.expovariate(1.0) * 0.2 * spread for v in lft] for _ in range(samples)]
    for make_priority in candidates:
        starts = _justify(problem, backward, serial_sgs(problem, _activity_list(problem, make_priority())))
        if best is None or makespan_of(problem, starts) < makespan_of(problem, best):
            best = starts
        if makespan_of(problem, best) <= lb:
            break
        if time_limit is not None and time.perf_counter() - started > time_limit:
            break
    assert best is not None
    return best


# --------------------------------------------------------------------------------------------
# Exact: CP-SAT
# --------------------------------------------------------------------------------------------


def solve_rcpsp(
    problem: RcpspProblem,
    *,
    time_limit: float = 10.0,
    num_workers: int = 2,
    seed: int = 0,
    heuristic_samples: int = 20,
    hint: Sequence[int] | None = None,
) -> RcpspSolution:
    """Minimise the makespan with CP-SAT, warm-started from the heuristic (or ``hint``).

    The heuristic makespan bounds the horizon; the reported lower bound is the max of the
    critical-path/energy bound and CP-SAT's proven bound; ``optimal`` means makespan = bound.
    """
    started = time.perf_counter()
    bound = lower_bound(problem)
    best = list(hint) if hint is not None else heuristic_schedule(problem, samples=heuristic_samples)
    best_ms = makespan_of(problem, best)
    method = "heuristic"
    remaining = time_limit - (time.perf_counter() - started)
    if best_ms > bound and remaining > 0.01:
        model, starts, makespan = _rcpsp_model(problem, best, best_ms)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = remaining
        solver.parameters.num_workers = num_workers
        solver.parameters.random_seed = seed
        status = solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            method = "cp-sat"
            if solver.value(makespan) < best_ms:
                best = [solver.value(s) for s in starts]
                best_ms = makespan_of(problem, best)
            bound = max(bound, math.ceil(solver.best_objective_bound - 1e-6))
        elif status == cp_model.INFEASIBLE:
            bound = best_ms  # nothing shorter than the hint exists
    return RcpspSolution(
        starts=tuple(best),
        makespan=best_ms,
        lower_bound=min(bound, best_ms),
        optimal=bound >= best_ms,
        time_s=time.perf_counter() - started,
        method=method,
    )


def _rcpsp_model(
    problem: RcpspProblem, hint: Sequence[int], upper: int
) -> tuple[cp_model.CpModel, list[cp_model.IntVar], cp_model.IntVar]:
    """CP-SAT model over ``[0, upper]``, hinted with ``hint``."""
    model = cp_model.CpModel()
    es, tail = earliest_starts(problem), _tails(problem)
    d = problem.durations
    starts = [model.new_int_var(es[j], upper - d[j] - tail[j], f"s{j}") for j in range(problem.n_jobs)]
    intervals = [model.new_fixed_size_interval_var(starts[j], d[j], f"i{j}") for j in range(problem.n_jobs)]
    makespan = model.new_int_var(critical_path_bound(problem), upper, "makespan")
    for job, succs in enumerate(problem.successors):
        for s in succs:
            model.add(starts[s] >= starts[job] + d[job])
        if not succs:
            model.add(makespan >= starts[job] + d[job])
    tail_interval = model.new_interval_var(makespan, upper - makespan, upper, "after_end")
    for k, cap in enumerate(problem.capacities):
        users = [j for j in range(problem.n_jobs) if problem.demands[j][k] > 0 and d[j] > 0]
        if users:
            model.add_cumulative(
                [intervals[j] for j in users] + [tail_interval],
                [problem.demands[j][k] for j in users] + [cap],
                cap,
            )
    for j, s in enumerate(starts):
        model.add_hint(s, hint[j])
    model.add_hint(makespan, upper)
    model.minimize(makespan)
    return model, starts, makespan


# --------------------------------------------------------------------------------------------
# Portfolio scheduling by month
# --------------------------------------------------------------------------------------------
#
# Months are integer indexes from ``start_period`` (index 0).  An item of duration ``d`` placed
# at ``s`` occupies months ``s .. s+d-1`` (its finish month) and spreads each team's effort
# evenly over them.  Dependencies compare time points, with ``end = start + duration``:
# FS ``start_s >= end_p + lag``, SS ``start_s >= start_p + lag``, FF ``end_s >= end_p + lag``,
# SF ``end_s >= start_p + lag``.  Capacity lists may be shorter than the plan: the last value
# holds for later months.  Effort is handled in tenths of a person-day (``UNITS_PER_DAY``).

UNITS_PER_DAY = 10
DEPENDENCY_KINDS = ("FS", "SS", "FF", "SF")
HEURISTIC_ABOVE = 300


class PlanningError(ValueError):
    """A plan that cannot be scheduled at all (cycle, unknown item or team, bad value)."""


@dataclass(frozen=True)
class PlanItem:
    """An initiative to schedule; ``None`` duration or effort means 'not estimated yet'."""

    key: str
    duration: int | None
    effort: dict[str, float | None] | None
    earliest_start: int = 0
    deadline: int | None = None
    fixed_start: int | None = None
    weight: int = 1

    @property
    def missing_estimate(self) -> bool:
        return self.duration is None or self.effort is None or None in self.effort.values()


@dataclass(frozen=True)
class PlanDependency:
    predecessor: str
    successor: str
    kind: str = "FS"
    lag: int = 0


@dataclass(frozen=True)
class PortfolioProblem:
    items: tuple[PlanItem, ...]
    dependencies: tuple[PlanDependency, ...]
    capacity: dict[str, tuple[float, ...]]
    start_period: tuple[int, int]

    def label(self, month: int) -> str:
        """``YYYY-MM`` of a month index."""
        year, month0 = divmod(self.start_period[0] * 12 + self.start_period[1] - 1 + month, 12)
        return f"{year}-{month0 + 1:02d}"


@dataclass(frozen=True)
class ScheduledItem:
    key: str
    start: int
    finish: int
    start_label: str
    finish_label: str
    earliest_start: int
    critical: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class TeamLoad:
    team: str
    month: int
    label: str
    demand: float
    capacity: float


@dataclass(frozen=True)
class PortfolioSchedule:
    """The plan; ``infeasibilities`` explains every broken deadline, fixed date or capacity."""

    items: tuple[ScheduledItem, ...]
    critical_chain: tuple[str, ...]
    load: tuple[TeamLoad, ...]
    infeasibilities: tuple[str, ...]
    missing_estimates: tuple[str, ...]
    warnings: tuple[str, ...]
    end: int
    method: str
    optimal: bool
    time_s: float

    @property
    def feasible(self) -> bool:
        return not self.infeasibilities

    def item(self, key: str) -> ScheduledItem:
        """The scheduled item ``key``; ``KeyError`` if it was not scheduled."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)


@dataclass(frozen=True)
class _Arc:
    pred: int
    succ: int
    delta: int  # start_succ >= start_pred + delta
    dep: PlanDependency


def _arc_delta(dep: PlanDependency, d_pred: int, d_succ: int) -> int:
    return {
        "FS": d_pred + dep.lag,
        "SS": dep.lag,
        "FF": d_pred + dep.lag - d_succ,
        "SF": dep.lag - d_succ,
    }[dep.kind]


def _finish(start: int, duration: int) -> int:
    """Last month an item occupies (its start month for a zero-length milestone)."""
    return start + max(duration, 1) - 1


def _check_input(problem: PortfolioProblem) -> None:
    """Refuse what cannot be planned at all: duplicates, unknown keys/teams/kinds, cycles."""
    keys = [item.key for item in problem.items]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise PlanningError(f"duplicate item keys: {', '.join(duplicates)}")
    known = set(keys)
    for dep in problem.dependencies:
        if dep.kind not in DEPENDENCY_KINDS:
            raise PlanningError(f"dependency {dep.predecessor} -> {dep.successor}: unknown type {dep.kind!r}")
        for key in (dep.predecessor, dep.successor):
            if key not in known:
                raise PlanningError(f"dependency {dep.predecessor} -> {dep.successor}: unknown item {key}")
    for team, months in problem.capacity.items():
        if not months or min(months) < 0:
            raise PlanningError(f"team {team}: capacity must be a non-empty list of non-negative values")
    for item in problem.items:
        _check_item(item, problem.capacity)
    cycle = _find_cycle(keys, problem.dependencies)
    if cycle:
        raise PlanningError("dependency cycle: " + " -> ".join(cycle))


def _check_item(item: PlanItem, capacity: dict[str, tuple[float, ...]]) -> None:
    unknown = sorted(set(item.effort or {}) - set(capacity))
    if unknown:
        raise PlanningError(f"{item.key}: no capacity given for team(s) {', '.join(unknown)}")
    if item.duration is not None and item.duration < 0:
        raise PlanningError(f"{item.key}: negative duration")
    if item.duration == 0 and any(v for v in (item.effort or {}).values()):
        raise PlanningError(f"{item.key}: effort cannot be spent in a zero-month duration")
    if any(v is not None and v < 0 for v in (item.effort or {}).values()):
        raise PlanningError(f"{item.key}: negative effort")
    if item.weight < 0:
        raise PlanningError(f"{item.key}: negative weight")


def _find_cycle(keys: list[str], deps: Sequence[PlanDependency]) -> list[str] | None:
    """One dependency cycle as ``[a, b, ..., a]``, or ``None`` (iterative DFS)."""
    succ: dict[str, list[str]] = {k: [] for k in keys}
    for dep in deps:
        succ[dep.predecessor].append(dep.successor)
    state = dict.fromkeys(keys, 0)  # 0 new, 1 on stack, 2 done
    for root in keys:
        if state[root]:
            continue
        path, stack = [root], [iter(succ[root])]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state[nxt] == 1:
                return path[path.index(nxt) :] + [nxt]
            elif state[nxt] == 0:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(succ[nxt]))
    return None


class _Plan:
    """The schedulable part of a portfolio problem in integer units, with diagnostics so far."""

    def __init__(self, problem: PortfolioProblem) -> None:
        self.problem = problem
        self.teams = list(problem.capacity)
        self.missing = [i.key for i in problem.items if i.missing_estimate]
        self.warnings = [
            f"{k} has no complete estimate (duration and effort per team); not scheduled"
            for k in self.missing
        ]
        self.infeasible: list[str] = []
        self.items = [i for i in problem.items if not i.missing_estimate]
        self.items = [i for i in self.items if self._demand_possible(i)]
        self.index = {item.key: n for n, item in enumerate(self.items)}
        self.dur = [int(i.duration or 0) for i in self.items]
        self.demand = np.array([self._demand_units(i) for i in self.items], dtype=np.int64).reshape(
            len(self.items), len(self.teams)
        )
        self.arcs_in: list[list[_Arc]] = [[] for _ in self.items]
        self.arcs_out: list[list[_Arc]] = [[] for _ in self.items]
        self._add_arcs(problem.dependencies)
        self.order = _topological_order([[a.succ for a in out] for out in self.arcs_out])
        self.fixed = [i.fixed_start for i in self.items]

    @property
    def n(self) -> int:
        return len(self.items)

    def label(self, month: int) -> str:
        return self.problem.label(month)

    def capacity_units(self, months: int) -> np.ndarray:
        """Capacity in units, ``months`` rows by team columns (last value repeated)."""
        cols = []
        for team in self.teams:
            values = list(self.problem.capacity[team])
            values += [values[-1]] * max(0, months - len(values))
            cols.append([math.floor(v * UNITS_PER_DAY + 1e-9) for v in values[:months]])
        return np.array(cols, dtype=np.int64).T.reshape(months, len(self.teams))

    def steady_units(self) -> np.ndarray:
        return self.capacity_units(max(len(c) for c in self.problem.capacity.values()))[-1]

    def _demand_units(self, item: PlanItem) -> list[int]:
        effort, duration = item.effort or {}, item.duration or 1
        return [math.ceil((effort.get(t) or 0) * UNITS_PER_DAY / duration - 1e-9) for t in self.teams]

    def _demand_possible(self, item: PlanItem) -> bool:
        """False (with an explanation) when a team can never supply the item's monthly demand."""
        demand = np.array(self._demand_units(item), dtype=np.int64)
        duration = max(int(item.duration or 0), 1)
        months = max(max(len(c) for c in self.problem.capacity.values()), item.earliest_start) + duration
        ok = self.capacity_units(months)[max(item.earliest_start, 0) :] >= demand
        for t, team in enumerate(self.teams):
            runs = np.convolve(ok[:, t].astype(np.int64), np.ones(duration, dtype=np.int64), "valid")
            if demand[t] and not (runs == duration).any():
                self.infeasible.append(
                    f"{item.key} needs {demand[t] / UNITS_PER_DAY:g} person-days/month of {team} "
                    f"for {duration} month(s), more than its capacity allows; not scheduled"
                )
                return False
        return True

    def _add_arcs(self, deps: Sequence[PlanDependency]) -> None:
        for dep in deps:
            p, s = self.index.get(dep.predecessor), self.index.get(dep.successor)
            if p is None or s is None:
                dropped = dep.predecessor if p is None else dep.successor
                other = dep.successor if p is None else dep.predecessor
                if other in self.index:
                    self.warnings.append(
                        f"{other}: dependency on {dropped} ignored ({dropped} is not scheduled)"
                    )
                continue
            arc = _Arc(p, s, _arc_delta(dep, self.dur[p], self.dur[s]), dep)
            self.arcs_in[s].append(arc)
            self.arcs_out[p].append(arc)

    def release(self, i: int, starts: Sequence[int]) -> tuple[int, _Arc | None]:
        """Earliest start allowed by the item's own date and its predecessors in ``starts``."""
        best, cause = max(0, self.items[i].earliest_start), None
        for arc in self.arcs_in[i]:
            if starts[arc.pred] + arc.delta > best:
                best, cause = starts[arc.pred] + arc.delta, arc
        return best, cause

    def arc_figure(self, arc: _Arc, starts: Sequence[int]) -> str:
        """``INF-031 (earliest finish 2027-09)``: the predecessor and the date that binds."""
        p, kind, lag = arc.pred, arc.dep.kind, arc.dep.lag
        if kind in ("FS", "FF"):
            figure = f"earliest finish {self.label(_finish(starts[p], self.dur[p]))}"
        else:
            figure = f"earliest start {self.label(starts[p])}"
        link = "" if (kind, lag) == ("FS", 0) else f", {kind} {lag:+d}"
        return f"{self.items[p].key} ({figure}{link})"


def _precedence_pass(plan: _Plan) -> list[int]:
    """Resource-free earliest starts; explains (and unfixes) fixed dates and deadlines they break."""
    es = [0] * plan.n
    for i in plan.order:
        item = plan.items[i]
        best, cause = plan.release(i, es)
        if item.fixed_start is not None:
            if item.fixed_start < best:
                why = plan.arc_figure(cause, es) if cause else f"its earliest start {plan.label(best)}"
                fixed = plan.label(item.fixed_start)
                plan.infeasible.append(f"{item.key} cannot start on its fixed date {fixed} because of {why}")
                plan.fixed[i] = None
            else:
                best = item.fixed_start
        es[i] = best
        if item.deadline is not None and _finish(best, plan.dur[i]) > item.deadline:
            if plan.fixed[i] is not None:
                why = f"it is fixed to start in {plan.label(best)}"
            elif cause is not None:
                why = f"of {plan.arc_figure(cause, es)}"
            else:
                why = f"it cannot start before {plan.label(best)}"
            plan.infeasible.append(
                f"{item.key} cannot meet its deadline {plan.label(item.deadline)} because {why}"
            )
    return es


def _latest_starts(plan: _Plan, horizon: int) -> list[int]:
    """Latest starts implied by deadlines and fixed dates (``horizon`` where nothing binds)."""
    ls = [horizon] * plan.n
    for i in reversed(plan.order):
        item = plan.items[i]
        if item.deadline is not None:
            ls[i] = min(ls[i], item.deadline - max(plan.dur[i], 1) + 1)
        if plan.fixed[i] is not None:
            ls[i] = min(ls[i], plan.fixed[i])
        for arc in plan.arcs_in[i]:
            ls[arc.pred] = min(ls[arc.pred], ls[i] - arc.delta)
    return ls


def _portfolio_sgs(plan: _Plan, es: Sequence[int]) -> list[int]:
    """Serial SGS: fixed items first, then by latest start, weight and earliest start."""
    horizon = max((e + d for e, d in zip(es, plan.dur, strict=True)), default=0) + 1
    ls = _latest_starts(plan, horizon * 10)
    profile = _Profile(plan.capacity_units(horizon), plan.steady_units())
    starts = [-1] * plan.n
    for i, fixed in enumerate(plan.fixed):
        if fixed is not None:
            starts[i] = fixed
            profile.reserve(fixed, plan.dur[i], plan.demand[i])
    remaining = [len(a) for a in plan.arcs_in]
    eligible = [(ls[i], -plan.items[i].weight, es[i], i) for i in range(plan.n) if not remaining[i]]
    heapq.heapify(eligible)
    while eligible:
        *_, i = heapq.heappop(eligible)
        if starts[i] < 0:
            earliest, _ = plan.release(i, starts)
            starts[i] = profile.earliest_fit(earliest, plan.dur[i], plan.demand[i])
            profile.reserve(starts[i], plan.dur[i], plan.demand[i])
        for arc in plan.arcs_out[i]:
            remaining[arc.succ] -= 1
            if not remaining[arc.succ]:
                s = arc.succ
                heapq.heappush(eligible, (ls[s], -plan.items[s].weight, es[s], s))
    return starts


def _portfolio_cpsat(
    plan: _Plan, es: Sequence[int], hint: Sequence[int], time_limit: float, num_workers: int, seed: int
) -> tuple[list[int] | None, bool]:
    """CP-SAT: hard precedences, fixed dates and capacities; deadlines as heavily penalised lateness.

    Minimises ``penalty * lateness + sum(weight * finish) + total weight * plan end``.
    Returns ``(starts or None, proven optimal)``.
    """
    horizon = max(max((s + d for s, d in zip(hint, plan.dur, strict=True)), default=1), 1)
    horizon = max([horizon] + [e + d for e, d in zip(es, plan.dur, strict=True)])
    model = cp_model.CpModel()
    starts = [
        model.new_constant(plan.fixed[i])
        if plan.fixed[i] is not None
        else model.new_int_var(es[i], horizon - plan.dur[i], f"s{i}")
        for i in range(plan.n)
    ]
    for i in range(plan.n):
        for arc in plan.arcs_in[i]:
            model.add(starts[i] >= starts[arc.pred] + arc.delta)
    _add_capacity(model, plan, starts, horizon)
    end = model.new_int_var(0, horizon, "end")
    for i in range(plan.n):
        model.add(end >= starts[i] + plan.dur[i])
    lateness = []
    for i, item in enumerate(plan.items):
        if item.deadline is not None:
            late = model.new_int_var(0, horizon, f"late{i}")
            model.add(late >= starts[i] + max(plan.dur[i], 1) - 1 - item.deadline)
            lateness.append(late)
    weights = [item.weight for item in plan.items]
    total = sum(weights) + 1
    penalty = 2 * total * (horizon + 1)
    finishes = sum(w * (s + d) for w, s, d in zip(weights, starts, plan.dur, strict=True))
    model.minimize(penalty * sum(lateness) + finishes + total * end)
    for i, value in enumerate(hint):
        if plan.fixed[i] is None:
            model.add_hint(starts[i], value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False
    return [solver.value(s) for s in starts], status == cp_model.OPTIMAL


def _add_capacity(model: cp_model.CpModel, plan: _Plan, starts: list, horizon: int) -> None:
    """One cumulative per team; month-varying capacity via fixed blocker intervals.

    Where fixed items alone exceed a month's capacity, that month is raised to their load so the
    model stays feasible (the overload is reported afterwards).
    """
    capacity = plan.capacity_units(horizon)
    fixed_load = np.zeros_like(capacity)
    for i, fixed in enumerate(plan.fixed):
        if fixed is not None and plan.dur[i]:
            fixed_load[fixed : fixed + plan.dur[i]] += plan.demand[i]
    capacity = np.maximum(capacity, fixed_load[:horizon])
    for t, team in enumerate(plan.teams):
        users = [i for i in range(plan.n) if plan.demand[i, t] > 0 and plan.dur[i] > 0]
        if not users:
            continue
        top = int(capacity[:, t].max())
        intervals = [model.new_fixed_size_interval_var(starts[i], plan.dur[i], f"{team}{i}") for i in users]
        demands = [int(plan.demand[i, t]) for i in users]
        for month in range(horizon):
            gap = top - int(capacity[month, t])
            if gap > 0:
                intervals.append(model.new_fixed_size_interval_var(month, 1, f"{team}-cap{month}"))
                demands.append(gap)
        model.add_cumulative(intervals, demands, top)


def _left_shift(plan: _Plan, starts: list[int]) -> list[int]:
    """Move each movable item to its earliest feasible month, others fixed, until nothing moves."""
    starts = list(starts)
    horizon = max((s + d for s, d in zip(starts, plan.dur, strict=True)), default=0) + 1
    profile = _Profile(plan.capacity_units(horizon), plan.steady_units())
    for i, s in enumerate(starts):
        profile.reserve(s, plan.dur[i], plan.demand[i])
    for _ in range(5):
        moved = False
        for i in sorted(range(plan.n), key=lambda j: starts[j]):
            if plan.fixed[i] is not None:
                continue
            profile.reserve(starts[i], plan.dur[i], plan.demand[i], sign=-1)
            earliest, _ = plan.release(i, starts)
            best = min(profile.earliest_fit(earliest, plan.dur[i], plan.demand[i]), starts[i])
            moved |= best < starts[i]
            starts[i] = best
            profile.reserve(best, plan.dur[i], plan.demand[i])
        if not moved:
            break
    return starts


def _load_profile(plan: _Plan, starts: Sequence[int], months: int) -> _Profile:
    profile = _Profile(plan.capacity_units(months), plan.steady_units())
    for i, s in enumerate(starts):
        profile.reserve(s, plan.dur[i], plan.demand[i])
    return profile


def _delay_reasons(
    plan: _Plan, starts: Sequence[int], es: Sequence[int], profile: _Profile
) -> list[list[str]]:
    """Why each item starts after its precedence-feasible earliest start."""
    reasons: list[list[str]] = [[] for _ in range(plan.n)]
    for i in range(plan.n):
        if starts[i] <= es[i] or plan.fixed[i] is not None:
            continue
        earliest, cause = plan.release(i, starts)
        if cause is not None and earliest > es[i]:
            reasons[i].append(f"waits for {plan.items[cause.pred].key}")
        if starts[i] > earliest:
            profile.reserve(starts[i], plan.dur[i], plan.demand[i], sign=-1)
            shortage = profile.first_shortage(earliest, plan.dur[i], plan.demand[i])
            profile.reserve(starts[i], plan.dur[i], plan.demand[i])
            if shortage is not None:
                month, team = shortage
                reasons[i].append(f"waits for {plan.teams[team]} capacity in {plan.label(month)}")
    return reasons


def _capacity_blockers(
    plan: _Plan, starts: Sequence[int], ends: Sequence[int], k: int, profile: _Profile
) -> list[int]:
    """Items freeing, exactly when ``k`` starts, the team that kept ``k`` from starting a month earlier."""
    profile.reserve(starts[k], plan.dur[k], plan.demand[k], sign=-1)
    shortage = profile.first_shortage(starts[k] - 1, plan.dur[k], plan.demand[k])
    profile.reserve(starts[k], plan.dur[k], plan.demand[k])
    if shortage is None:
        return []
    team = shortage[1]
    return [j for j in range(plan.n) if ends[j] == starts[k] and plan.demand[j][team] > 0]


def _critical_chain(plan: _Plan, starts: Sequence[int], profile: _Profile) -> set[int]:
    """Items whose delay would delay the plan end: back from the last finishers through tight
    precedences and, for capacity-delayed items, through items freeing the same team just then."""
    ends = [s + d for s, d in zip(starts, plan.dur, strict=True)]
    end = max(ends, default=0)
    chain = {i for i in range(plan.n) if ends[i] == end}
    todo = list(chain)
    while todo:
        k = todo.pop()
        if plan.fixed[k] is not None:
            continue
        earliest, _ = plan.release(k, starts)
        blockers = [a.pred for a in plan.arcs_in[k] if starts[a.pred] + a.delta == starts[k]]
        if starts[k] > earliest:
            blockers += _capacity_blockers(plan, starts, ends, k, profile)
        for j in blockers:
            if j not in chain:
                chain.add(j)
                todo.append(j)
    return chain


def _team_load(plan: _Plan, starts: Sequence[int], months: int) -> list[TeamLoad]:
    """Demand (exact person-days) against capacity, per team and month."""
    demand = np.zeros((months, len(plan.teams)))
    for i, item in enumerate(plan.items):
        if plan.dur[i]:
            per_month = [(item.effort or {}).get(t) or 0.0 for t in plan.teams]
            demand[starts[i] : starts[i] + plan.dur[i]] += np.array(per_month) / plan.dur[i]
    rows = []
    for t, team in enumerate(plan.teams):
        values = list(plan.problem.capacity[team])
        values += [values[-1]] * max(0, months - len(values))
        rows += [
            TeamLoad(team, m, plan.label(m), round(float(demand[m, t]), 3), float(values[m]))
            for m in range(months)
        ]
    return rows


def validate_portfolio(problem: PortfolioProblem, schedule: PortfolioSchedule) -> list[str]:
    """Independent check of a plan: dependencies, earliest starts, fixed dates and team capacity."""
    placed = {s.key: s for s in schedule.items}
    items = {i.key: i for i in problem.items}
    violations = []
    for key, s in placed.items():
        item = items[key]
        if s.start < item.earliest_start:
            violations.append(f"{key} starts {problem.label(s.start)} before its earliest start")
        if item.fixed_start is not None and s.start != item.fixed_start:
            violations.append(f"{key} is not on its fixed date {problem.label(item.fixed_start)}")
    for dep in problem.dependencies:
        if dep.predecessor in placed and dep.successor in placed:
            p, s = placed[dep.predecessor], placed[dep.successor]
            dp, ds = items[dep.predecessor].duration or 0, items[dep.successor].duration or 0
            left = {"FS": s.start, "SS": s.start, "FF": s.start + ds, "SF": s.start + ds}[dep.kind]
            right = {"FS": p.start + dp, "SS": p.start, "FF": p.start + dp, "SF": p.start}[dep.kind]
            if left < right + dep.lag:
                violations.append(
                    f"{dep.successor} breaks its {dep.kind} +{dep.lag} dependency on {dep.predecessor}"
                )
    usage: dict[tuple[str, int], float] = {}
    for key, s in placed.items():
        item = items[key]
        for team, effort in (item.effort or {}).items():
            for m in range(s.start, s.start + (item.duration or 0)):
                usage[team, m] = usage.get((team, m), 0.0) + (effort or 0.0) / (item.duration or 1)
    for (team, m), used in sorted(usage.items()):
        cap = problem.capacity[team][min(m, len(problem.capacity[team]) - 1)]
        if used > cap + 1e-6:
            violations.append(f"{team} over capacity in {problem.label(m)}: {used:g} > {cap:g} person-days")
    return violations


def schedule_portfolio(
    problem: PortfolioProblem,
    *,
    method: str = "auto",
    time_limit: float = 10.0,
    num_workers: int = 2,
    seed: int = 0,
) -> PortfolioSchedule:
    """Schedule initiatives by month against team capacity.

    ``method``: ``"cp-sat"`` (exact within ``time_limit``, warm-started by the heuristic),
    ``"heuristic"`` (serial SGS), or ``"auto"`` (heuristic above ``HEURISTIC_ABOVE`` items).
    Raises :class:`PlanningError` for what cannot be planned (a cycle, unknown keys); anything
    else that cannot be met is explained in ``infeasibilities`` next to the best plan found.
    """
    if method not in ("auto", "cp-sat", "heuristic"):
        raise ValueError(f"unknown method {method!r}")
    started = time.perf_counter()
    _check_input(problem)
    plan = _Plan(problem)
    es = _precedence_pass(plan)
    starts = _portfolio_sgs(plan, es)
    used, optimal = "heuristic", False
    if method == "cp-sat" or (method == "auto" and plan.n <= HEURISTIC_ABOVE):
        remaining = time_limit - (time.perf_counter() - started)
        exact, optimal = _portfolio_cpsat(plan, es, starts, remaining, num_workers, seed)
        if exact is not None:
            starts, used = exact, "cp-sat"
    starts = _left_shift(plan, starts)
    return _result(plan, es, starts, used, optimal, time.perf_counter() - started)


def _result(
    plan: _Plan, es: list[int], starts: list[int], method: str, optimal: bool, elapsed: float
) -> PortfolioSchedule:
    end = max((s + d for s, d in zip(starts, plan.dur, strict=True)), default=0)
    months = max(end, max(len(c) for c in plan.problem.capacity.values()))
    profile = _load_profile(plan, starts, months)
    reasons = _delay_reasons(plan, starts, es, profile)
    chain = _critical_chain(plan, starts, profile)
    items = tuple(
        ScheduledItem(
            key=item.key,
            start=starts[i],
            finish=_finish(starts[i], plan.dur[i]),
            start_label=plan.label(starts[i]),
            finish_label=plan.label(_finish(starts[i], plan.dur[i])),
            earliest_start=es[i],
            critical=i in chain,
            reasons=tuple(reasons[i]),
        )
        for i, item in enumerate(plan.items)
    )
    infeasible = list(plan.infeasible) + _late_items(plan, items)
    schedule = PortfolioSchedule(
        items=items,
        critical_chain=tuple(plan.items[i].key for i in sorted(chain, key=lambda i: (starts[i], i))),
        load=tuple(_team_load(plan, starts, months)),
        infeasibilities=(),
        missing_estimates=tuple(plan.missing),
        warnings=tuple(plan.warnings),
        end=end,
        method=method,
        optimal=optimal,
        time_s=elapsed,
    )
    unfixed = tuple(
        f"{i.key} is not on its fixed date"
        for i, f in zip(plan.items, plan.fixed, strict=True)
        if i.fixed_start is not None and f is None
    )
    infeasible += [
        v
        for v in validate_portfolio(plan.problem, schedule)
        if v not in infeasible and not v.startswith(unfixed)
    ]
    return dataclasses.replace(schedule, infeasibilities=tuple(infeasible))


def _late_items(plan: _Plan, items: Sequence[ScheduledItem]) -> list[str]:
    """Deadlines missed for capacity reasons (precedence-caused misses are already explained)."""
    late = []
    for i, s in enumerate(items):
        deadline = plan.items[i].deadline
        if (
            deadline is not None
            and s.finish > deadline
            and _finish(s.earliest_start, plan.dur[i]) <= deadline
        ):
            why = "; ".join(s.reasons) or "team capacity"
            late.append(
                f"{s.key} cannot meet its deadline {plan.label(deadline)} with the available capacity: "
                f"finishes {s.finish_label} ({why})"
            )
    return late
