"""Capacity-aware portfolio scheduling by month (the roadmap's planner).

Pure Python, no Django: plain dataclasses in and out. :func:`schedule_portfolio` places
initiatives by month with team capacities, FS/SS/FF/SF dependencies with lags, earliest
starts, deadlines and fixed dates, using CP-SAT (with a time limit) or, above
``HEURISTIC_ABOVE`` items, a serial schedule-generation heuristic; it explains every delay
and every broken constraint by name. :func:`validate_portfolio` checks its plans
independently. The RCPSP solver behind the PSPLIB benchmark lives in :mod:`portolan.engine.rcpsp`.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from portolan.engine.graph import find_cycle
from portolan.engine.rcpsp import (  # noqa: F401 - RCPSP names re-exported for callers
    NoFit,
    RcpspProblem,
    RcpspSolution,
    _Profile,
    _topological_order,
    critical_path_bound,
    earliest_starts,
    heuristic_schedule,
    lower_bound,
    makespan_of,
    serial_sgs,
    solve_rcpsp,
    validate_schedule,
)

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
    # Run work: it holds team capacity like any item, but as a standing commitment it neither
    # ends the plan nor joins its critical chain.
    ongoing: bool = False

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
    """One dependency cycle as ``[a, b, ..., a]``, or ``None``."""
    return find_cycle(keys, [(dep.predecessor, dep.successor) for dep in deps])


class _Plan:
    """The schedulable part of a portfolio problem in integer units, with diagnostics so far."""

    def __init__(self, problem: PortfolioProblem, excluded: dict[str, str] | None = None) -> None:
        """``excluded`` maps keys of items left out of the plan to the reason given for each."""
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
        excluded = excluded or {}
        self.infeasible += [excluded[i.key] for i in self.items if i.key in excluded]
        self.items = [i for i in self.items if i.key not in excluded]
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

    @property
    def capacity_months(self) -> int:
        """Months for which some team's capacity is given (after them, each team's last value)."""
        return max(len(c) for c in self.problem.capacity.values())

    @property
    def projects(self) -> list[int]:
        """The items that end the plan: all but run work (all of them if there is only run work)."""
        return [i for i, item in enumerate(self.items) if not item.ongoing] or list(range(self.n))

    def profile(self, months: int) -> _Profile:
        """Free capacity from month 0, explicit for at least ``months`` months and every month
        a capacity is given."""
        return _Profile(self.capacity_units(max(months, self.capacity_months)), self.steady_units())

    def steady_units(self) -> np.ndarray:
        return self.capacity_units(self.capacity_months)[-1]

    def _demand_units(self, item: PlanItem) -> list[int]:
        effort, duration = item.effort or {}, item.duration or 1
        return [math.ceil((effort.get(t) or 0) * UNITS_PER_DAY / duration - 1e-9) for t in self.teams]

    def _demand_possible(self, item: PlanItem) -> bool:
        """False (with an explanation) when a team can never supply the item's monthly demand."""
        demand = np.array(self._demand_units(item), dtype=np.int64)
        duration = max(int(item.duration or 0), 1)
        months = max(self.capacity_months, item.earliest_start) + duration
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


class _Unplaceable(Exception):  # noqa: N818 (a signal, not an error)
    """Item ``item`` fits at no month: team ``team``'s only months with enough capacity are taken."""

    def __init__(self, item: int, team: int) -> None:
        super().__init__(item, team)
        self.item, self.team = item, team


def _plan_and_place(problem: PortfolioProblem) -> tuple[_Plan, list[int], list[int]]:
    """The plan, earliest starts and serial-SGS starts, leaving out (with the reason) every item
    that fits nowhere once the work placed before it has taken the months where it could fit."""
    excluded: dict[str, str] = {}
    while True:
        plan = _Plan(problem, excluded)
        es = _precedence_pass(plan)
        try:
            return plan, es, _portfolio_sgs(plan, es)
        except _Unplaceable as exc:
            item, team = plan.items[exc.item], plan.teams[exc.team]
            need = plan.demand[exc.item][exc.team] / UNITS_PER_DAY
            excluded[item.key] = (
                f"{item.key} needs {need:g} person-days/month of {team} for {plan.dur[exc.item]} "
                f"month(s); no month it can start in (after its dependencies) has that much {team} "
                "capacity left once the work planned before it is placed; not scheduled"
            )


def _portfolio_sgs(plan: _Plan, es: Sequence[int]) -> list[int]:
    """Serial SGS: fixed items first, then by latest start, weight and earliest start."""
    horizon = max((e + d for e, d in zip(es, plan.dur, strict=True)), default=0) + 1
    ls = _latest_starts(plan, horizon * 10)
    profile = plan.profile(horizon)
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
            try:
                starts[i] = profile.earliest_fit(earliest, plan.dur[i], plan.demand[i])
            except NoFit as exc:
                raise _Unplaceable(i, exc.resource) from None
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
    for i in plan.projects:  # run work does not end the plan
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
    profile = plan.profile(horizon)
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
    profile = plan.profile(months)
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
    projects = plan.projects
    ongoing = set(range(plan.n)) - set(projects)  # run work is a given, not a link of the chain
    end = max((ends[i] for i in projects), default=0)
    chain = {i for i in projects if ends[i] == end}
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
            if j not in chain and j not in ongoing:
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
    plan, es, starts = _plan_and_place(problem)
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
    ends = [s + d for s, d in zip(starts, plan.dur, strict=True)]
    months = max(max(ends, default=0), plan.capacity_months)
    end = max((ends[i] for i in plan.projects), default=0)  # run work does not end the plan
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
