"""The resource-constrained project scheduling problem (RCPSP): exact CP-SAT and a heuristic.

Pure Python, no Django: plain dataclasses in and out.

* :func:`solve_rcpsp` — OR-Tools CP-SAT (interval variables, one cumulative per resource,
  transitively closed precedences with longest-path delays, redundant no-overlaps on cliques
  of jobs that can never run together) warm-started from :func:`heuristic_schedule` or, from
  ``GA_FROM_JOBS`` jobs on, from :func:`genetic_schedule` run for a share of the time;
  minimises the makespan with CP-SAT's LP-free worker plus its scheduling LNS. Below
  ``GA_SHARE_FROM_JOBS`` jobs with two workers, the GA runs on the project and on the reversed
  project on two threads, then goes on beside CP-SAT on one of them.
* :func:`heuristic_schedule` — serial schedule-generation scheme (SGS) over several priority
  rules and biased random sampling, each improved by forward-backward justification.
* :func:`genetic_schedule` — the activity-list genetic algorithm of :mod:`rcpsp_ga`, seeded
  with the same priority rules and samples.
* :func:`validate_schedule` — an independent check of precedences and capacities.
"""

from __future__ import annotations

import heapq
import math
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from ortools.sat.python import cp_model

from portolan.engine.graph import topological_order

if TYPE_CHECKING:
    from portolan.engine import rcpsp_ga

# Measured with benchmarks/psplib.py (--workers 1 --processes 2): starting CP-SAT from the GA
# instead of the sampling heuristic, J30 at 1 s reaches 478-479 of 480 optima against 475 (as many
# proven); a 12-instance J120 sample at 10 s ends 2.3 % above the best known against 6.5 %.
# The GA has 30 % of the time below 60 jobs (CP-SAT then proves more), 60 % from 60 jobs on.
GA_FROM_JOBS = 30
GA_SHARE_SMALL, GA_SHARE, GA_SHARE_FROM_JOBS = 0.3, 0.6, 60
GA_POPULATION = 800
GA_ISLAND_POPULATION = 400  # j3029_8: 200, 400 and 800 lists alike (12, 12 and 10 of 16 seeds at 80)
CP_SAT_STOP_S = 0.06  # measured: CP-SAT returns up to ~60 ms after its time limit on J120

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
    """Start times (one per job), makespan and the proof status; ``method`` tells where the start
    came from (``hint``, ``heuristic`` or ``genetic``), with ``+cp-sat`` when CP-SAT ran on it."""

    starts: tuple[int, ...]
    makespan: int
    lower_bound: int
    optimal: bool
    time_s: float
    method: str


def _topological_order(successors: Sequence[Sequence[int]]) -> list[int]:
    order = topological_order(successors)
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


class NoFit(Exception):  # noqa: N818 (a signal, not an error)
    """A demand that fits at no time: ``resource`` holds less, steadily, than it asks for."""

    def __init__(self, resource: int) -> None:
        super().__init__(resource)
        self.resource = resource


class _Profile:
    """Free capacity per time unit (rows) and resource (columns); rows past the end hold ``steady``."""

    def __init__(self, initial: np.ndarray, steady: np.ndarray) -> None:
        self.steady = np.asarray(steady, dtype=np.int64)
        self.free = np.asarray(initial, dtype=np.int64).reshape(-1, len(self.steady)).copy()
        self.reserved_until = len(self.free)  # rows from here on hold ``steady``

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
        # Past every reservation the profile is ``steady``: a demand it cannot hold never fits.
        never = bool((self.steady[used] < demand[used]).any())
        while True:
            if never and t >= self.reserved_until:
                raise NoFit(int(used[np.flatnonzero(self.steady[used] < demand[used])[0]]))
            self._ensure(t + duration)
            window = self.free[t : t + duration, used]
            bad = np.flatnonzero((window < demand[used]).any(axis=1))
            if bad.size == 0:
                return t
            t += int(bad[-1]) + 1

    def reserve(self, start: int, duration: int, demand: np.ndarray, sign: int = 1) -> None:
        self._ensure(start + duration)
        self.reserved_until = max(self.reserved_until, start + duration)
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


def _lft_sampler(problem: RcpspProblem, lft: Sequence[float], seed: int) -> Callable[[], list[float]]:
    """Biased random sampling: each call, the LFT priorities plus exponential noise."""
    rng, spread = random.Random(seed), max(1, critical_path_bound(problem))
    return lambda: [v + rng.expovariate(1.0) * 0.2 * spread for v in lft]


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
    sample = _lft_sampler(problem, rules["LFT"], seed)
    candidates: list[Callable[[], list[float]]] = [lambda p=p: p for p in rules.values()]
    candidates += [sample] * samples
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


def genetic_schedule(
    problem: RcpspProblem,
    *,
    time_limit: float | None = None,
    generations: int | None = None,
    population: int = GA_POPULATION,
    seed: int = 0,
    shift: bool = False,
) -> list[int]:
    """The best schedule of the genetic algorithm (:mod:`rcpsp_ga`) started from the priority
    rules and noisy-LFT samples; stops after ``time_limit`` seconds or ``generations``, or at the
    lower bound; ``shift`` picks the shift mutation over the adjacent swap.
    Deterministic for a given ``seed`` when only ``generations`` stops it."""
    if time_limit is None and generations is None:
        raise ValueError("give a time limit or a number of generations")
    lists = _population(problem, population, seed, shift)
    lists.evolve(lower_bound=lower_bound(problem), time_limit=time_limit, generations=generations)
    return list(lists.result().starts)


def _population(problem: RcpspProblem, size: int, seed: int, shift: bool) -> rcpsp_ga.Population:
    """The GA's first ``size`` lists, justified: the priority rules, then noisy-LFT samples."""
    from portolan.engine import rcpsp_ga  # Numba takes ~1 s to import: only when needed

    if size < 1:
        raise ValueError("the population needs at least one activity list")
    rules = list(_priority_rules(problem).values())
    sample = _lft_sampler(problem, rules[0], seed)
    rules += [sample() for _ in range(size - len(rules))]
    arrays = rcpsp_ga.Arrays.build(
        problem.durations, problem.demands, problem.capacities, problem.successors, problem.topological_order
    )
    initial = [_activity_list(problem, priority) for priority in rules[:size]]
    return rcpsp_ga.Population(arrays, initial, seed=seed, shift=shift)


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
    """Minimise the makespan with CP-SAT, warm-started from ``hint``, else from the genetic
    algorithm (``GA_FROM_JOBS`` jobs or more, for a share of the time) or the heuristic.

    Below ``GA_SHARE_FROM_JOBS`` jobs with two workers or more, the GA searches both ways and
    keeps going beside CP-SAT (:func:`_solve_bidirectional`).
    The start's makespan bounds the horizon; the reported lower bound is the max of the
    critical-path/energy bound and CP-SAT's proven bound; ``optimal`` means makespan = bound.
    The GA's compiled kernels are loaded before the clock starts (once per process: ~0.5 s,
    more when Numba compiles them), as OR-Tools is imported before it.
    """
    if hint is None and problem.n_jobs >= GA_FROM_JOBS:
        from portolan.engine import rcpsp_ga

        rcpsp_ga.warm_up()
    started = time.perf_counter()
    deadline = started + time_limit
    if hint is None and num_workers >= 2 and GA_FROM_JOBS <= problem.n_jobs < GA_SHARE_FROM_JOBS:
        return _solve_bidirectional(problem, deadline, num_workers, seed, started)
    if hint is not None:
        best, method = list(hint), "hint"
    elif problem.n_jobs >= GA_FROM_JOBS:
        share = GA_SHARE if problem.n_jobs >= GA_SHARE_FROM_JOBS else GA_SHARE_SMALL
        best, method = genetic_schedule(problem, time_limit=share * time_limit, seed=seed), "genetic"
    else:
        best, method = heuristic_schedule(problem, samples=heuristic_samples), "heuristic"
    run = _CpSatRun(problem, best)
    if not run.optimal and deadline - time.perf_counter() > 0.01:
        run.solve(deadline, num_workers, seed)
    return run.solution(method, started)


class _CpSatRun:
    """A CP-SAT search from a starting schedule: the best schedule and the bound it leaves."""

    def __init__(self, problem: RcpspProblem, start: Sequence[int]) -> None:
        self.problem, self.best = problem, list(start)
        self.best_ms, self.bound = makespan_of(problem, start), lower_bound(problem)
        self.solver = cp_model.CpSolver()
        self.ran = False

    @property
    def optimal(self) -> bool:
        return self.bound >= self.best_ms

    def solve(self, deadline: float, num_workers: int, seed: int) -> None:
        model, starts, _ = _rcpsp_model(self.problem, self.best, self.best_ms)
        params = self.solver.parameters
        # What is left once the model is built, less what CP-SAT takes to stop and report.
        params.max_time_in_seconds = max(deadline - time.perf_counter() - CP_SAT_STOP_S, 0.001)
        params.num_workers = num_workers
        params.random_seed = seed
        # The LP-free full-problem worker proves and improves faster on PSPLIB than the default
        # LP worker: more nodes per second. With one worker it runs alone (no LNS).
        params.subsolvers.append("no_lp")
        status = self.solver.solve(model)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.ran = True
            self.offer([self.solver.value(s) for s in starts])
            self.bound = max(self.bound, math.ceil(self.solver.best_objective_bound - 1e-6))
        elif status == cp_model.INFEASIBLE:
            self.bound = self.best_ms  # nothing shorter than the start exists

    def offer(self, starts: Sequence[int]) -> None:
        """Keep ``starts`` if it is shorter than the best schedule so far."""
        makespan = makespan_of(self.problem, starts)
        if makespan < self.best_ms:
            self.best, self.best_ms = list(starts), makespan

    def solution(self, method: str, started: float) -> RcpspSolution:
        return RcpspSolution(
            starts=tuple(self.best),
            makespan=self.best_ms,
            lower_bound=min(self.bound, self.best_ms),
            optimal=self.optimal,
            time_s=time.perf_counter() - started,
            method=method + ("+cp-sat" if self.ran else ""),
        )


class _Islands:
    """Two GA populations with the shift mutation, one on the project and one on the reversed
    project: a bidirectional search (some projects give way scheduled from the end)."""

    def __init__(self, problem: RcpspProblem, seed: int) -> None:
        self.problem, self.bound = problem, lower_bound(problem)
        self.ahead = _population(problem, GA_ISLAND_POPULATION, seed, shift=True)
        self.behind = _population(problem.reversed(), GA_ISLAND_POPULATION, seed, shift=True)

    @property
    def best_makespan(self) -> int:
        return min(self.ahead.best_makespan, self.behind.best_makespan)

    def met(self) -> bool:
        return self.best_makespan <= self.bound

    def evolve_apart(self, time_limit: float) -> None:
        """Each population on a thread of its own (the kernels release the GIL)."""
        with ThreadPoolExecutor(2, thread_name_prefix="rcpsp-ga") as pool:
            runs = [
                pool.submit(p.evolve, lower_bound=self.bound, time_limit=time_limit, stop=self.met)
                for p in (self.ahead, self.behind)
            ]
            for run in runs:
                run.result()

    def evolve_in_turn(self, stop: Callable[[], bool]) -> None:
        """A generation of each population in turn until ``stop()`` or the lower bound."""
        done = lambda: self.met() or stop()  # noqa: E731
        while not done():
            for population in (self.ahead, self.behind):
                population.evolve(lower_bound=self.bound, generations=1, stop=done)

    def best(self) -> list[int]:
        """The shorter of the two best schedules, the reversed one read forward in time."""
        ahead = list(self.ahead.result().starts)
        behind = forward_in_time(self.problem, self.behind.result().starts)
        return min(ahead, behind, key=lambda starts: makespan_of(self.problem, starts))


def forward_in_time(problem: RcpspProblem, reverse: Sequence[int]) -> list[int]:
    """A schedule of ``problem.reversed()`` read backwards: a schedule of ``problem``."""
    end = makespan_of(problem, reverse)
    return [end - s - d for s, d in zip(reverse, problem.durations, strict=True)]


def _solve_bidirectional(
    problem: RcpspProblem, deadline: float, num_workers: int, seed: int, started: float
) -> RcpspSolution:
    """The :class:`_Islands` on two threads for ``GA_SHARE_SMALL`` of the time; then CP-SAT from
    their best schedule with one worker less, while the islands evolve in turn on that thread.
    Either stops the other once the islands' best meets CP-SAT's bound; the shorter schedule wins.

    Measured on J30 at 1 s (benchmarks/psplib.py --workers 2): 480 of 480 optima against 478 with
    one population ahead of CP-SAT. On j3029_8 the forward GA reaches the optimum (80) in ~1 seed
    of 4 in 0.3 s and ~2 of 3 in 1 s; the reversed project in 11 of 12 in 1 s.
    """
    islands = _Islands(problem, seed)
    islands.evolve_apart(min(GA_SHARE_SMALL * (deadline - started), deadline - time.perf_counter()))
    run = _CpSatRun(problem, islands.best())
    if run.optimal or deadline - time.perf_counter() <= 0.01:
        return run.solution("genetic", started)
    cp_done = threading.Event()

    def beside() -> None:
        islands.evolve_in_turn(lambda: cp_done.is_set() or islands.best_makespan <= run.bound)
        # stop_search() is lost while CP-SAT has not started: ask until it has returned
        while islands.best_makespan <= run.bound and not cp_done.wait(0.005):
            run.solver.stop_search()

    def on_bound(value: float) -> None:
        run.bound = max(run.bound, math.ceil(value - 1e-6))
        if run.bound >= islands.best_makespan:
            run.solver.stop_search()

    run.solver.best_bound_callback = on_bound
    with ThreadPoolExecutor(1, thread_name_prefix="rcpsp-ga") as pool:
        side = pool.submit(beside)
        try:
            run.solve(deadline, num_workers - 1, seed)
        finally:
            cp_done.set()
            side.result()
    run.offer(islands.best())
    return run.solution("genetic", started)


def _rcpsp_model(
    problem: RcpspProblem, hint: Sequence[int], upper: int
) -> tuple[cp_model.CpModel, list[cp_model.IntVar], cp_model.IntVar]:
    """CP-SAT model over ``[0, upper]``, hinted with ``hint``."""
    model = cp_model.CpModel()
    es, tail = earliest_starts(problem), _tails(problem)
    d = problem.durations
    starts = [model.new_int_var(es[j], upper - d[j] - tail[j], f"s{j}") for j in range(problem.n_jobs)]
    intervals = [model.new_fixed_size_interval_var(starts[j], d[j], f"i{j}") for j in range(problem.n_jobs)]
    makespan = model.new_int_var(min(lower_bound(problem), upper), upper, "makespan")
    # Transitive closure of the precedences, each with its longest-path delay.
    for job, delays in enumerate(_path_delays(problem)):
        for s, delay in delays.items():
            model.add(starts[s] >= starts[job] + delay)
    for job, succs in enumerate(problem.successors):
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
    for clique in _conflict_cliques(problem):
        model.add_no_overlap([intervals[j] for j in clique])
    for j, s in enumerate(starts):
        model.add_hint(s, hint[j])
    model.add_hint(makespan, upper)
    model.minimize(makespan)
    return model, starts, makespan


def _path_delays(problem: RcpspProblem) -> list[dict[int, int]]:
    """For every job ``a``, ``{b: longest path from the start of a to the start of b}`` over
    all its direct and indirect successors ``b`` (a valid minimum start-to-start delay)."""
    d = problem.durations
    delays: list[dict[int, int]] = [{} for _ in range(problem.n_jobs)]
    for job in reversed(problem.topological_order):
        mine = delays[job]
        for s in problem.successors[job]:
            if mine.get(s, -1) < d[job]:
                mine[s] = d[job]
            for b, length in delays[s].items():
                if mine.get(b, -1) < d[job] + length:
                    mine[b] = d[job] + length
    return delays


def _conflict_cliques(problem: RcpspProblem) -> list[list[int]]:
    """Cliques of jobs no two of which can ever overlap (together they exceed a capacity),
    greedily grown until every such pair is covered; each becomes a redundant no-overlap."""
    jobs = [j for j in range(problem.n_jobs) if problem.durations[j] > 0]
    conflicts: dict[int, set[int]] = {j: set() for j in jobs}
    for i, a in enumerate(jobs):
        for b in jobs[i + 1 :]:
            pairs = zip(problem.demands[a], problem.demands[b], problem.capacities, strict=True)
            if any(da + db > cap for da, db, cap in pairs):
                conflicts[a].add(b)
                conflicts[b].add(a)
    degree = {j: len(c) for j, c in conflicts.items()}
    covered: set[tuple[int, int]] = set()
    cliques: list[list[int]] = []
    for a in sorted(jobs, key=lambda j: (-degree[j], j)):
        for b in sorted(conflicts[a], key=lambda j: (-degree[j], j)):
            if (min(a, b), max(a, b)) in covered:
                continue
            clique = [a, b]
            for c in sorted(conflicts[a] & conflicts[b], key=lambda j: (-degree[j], j)):
                if all(c in conflicts[x] for x in clique):
                    clique.append(c)
            covered.update((min(x, y), max(x, y)) for i, x in enumerate(clique) for y in clique[i + 1 :])
            cliques.append(clique)
    return cliques
