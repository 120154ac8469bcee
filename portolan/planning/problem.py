"""From the database to the engines' plain data: selection and scheduling problems of a scenario.

Months are counted from the scenario's first month (index 0). An initiative's planned window
is ``(start, duration)``; see the budget rule in :mod:`portolan.planning.models`. Work in
progress that started before the plan keeps its remaining months (fixed at month 0) and the
matching share of its costs and effort; costs and effort before the plan are sunk.
"""

import datetime as dt
from dataclasses import dataclass, field

from portolan.engine import scheduling, selection
from portolan.planning.models import Scenario, SelectionRule
from portolan.planning.scoring import backlog_queryset, score_all
from portolan.portfolio.models import Dependency, Initiative, Team

MONTHS_PER_LAG_DAY = 1 / 30


def month_index(start: dt.date, day: dt.date) -> int:
    return (day.year - start.year) * 12 + day.month - start.month


def add_months(day: dt.date, months: int) -> dt.date:
    year, month0 = divmod(day.month - 1 + months, 12)
    last = [31, 29 if _leap(day.year + year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month0]
    return dt.date(day.year + year, month0 + 1, min(day.day, last))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def month_date(start: dt.date, index: int) -> dt.date:
    return add_months(start.replace(day=1), index)


def quarter_of(start: dt.date, index: int) -> str:
    day = month_date(start, index)
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _parse(value) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@dataclass
class Window:
    """Where an initiative sits in the plan and what it needs."""

    key: str
    title: str
    team: str
    start: int  # planned start month (may be < 0 for work in progress)
    duration: int
    effort: dict[str, float]  # team code -> person-days (whole initiative)
    capex: float
    opex: float
    committed: bool
    mandatory: bool
    earliest: int | None = None
    deadline: int | None = None
    fixed: int | None = None
    ongoing: bool = False  # run work: holds capacity, never ends the plan nor joins its chain

    @property
    def plan_start(self) -> int:
        return max(self.start, 0)

    @property
    def remaining(self) -> int:
        """Months left from the plan start (the whole duration if not started before)."""
        if self.start >= 0:
            return self.duration
        return self.start + self.duration

    @property
    def share(self) -> float:
        return self.remaining / self.duration if self.duration else 0.0


@dataclass
class PlanningData:
    """Everything a scenario solve needs, with what could not be used and why."""

    scenario: Scenario
    windows: dict[str, Window]
    scores: dict[str, float]
    missing: list[dict] = field(default_factory=list)  # {"key", "title", "missing": [...]}
    messages: list[dict] = field(default_factory=list)  # {"level", "text"}
    requires: dict[str, list[str]] = field(default_factory=dict)
    exclusions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hard_dependencies: list[Dependency] = field(default_factory=list)
    teams: dict[str, Team] = field(default_factory=dict)

    def warn(self, text: str, level: str = "warning") -> None:
        self.messages.append({"level": level, "text": text})


def collect(scenario: Scenario, scoring_model) -> PlanningData:
    """Read initiatives, inputs, efforts, dependencies and rules for ``scenario``."""
    initiatives = list(backlog_queryset(Initiative.objects.all()).prefetch_related("efforts__team"))
    scores, unscored = score_all(initiatives, scoring_model)
    unscored_by_key = {row.initiative.key: row for row in unscored}
    data = PlanningData(scenario, {}, {k: s.value for k, s in scores.items()})
    data.teams = {t.code: t for t in Team.objects.all()}
    start = scenario.start.replace(day=1)
    for initiative in initiatives:
        missing = []
        row = unscored_by_key.get(initiative.key)
        if row is not None:
            missing += [f"score: {m}" for m in row.missing] or [f"score: {row.error}"]
        window, why = _window(initiative, scenario, start)
        missing += why
        if missing:
            data.missing.append({"key": initiative.key, "title": initiative.title, "missing": missing})
            planning = getattr(initiative, "planning", None)
            if initiative.stage == Initiative.Stage.IN_PROGRESS or (planning and planning.is_mandatory):
                data.warn(
                    f"{initiative.key} must be in the plan (in progress or mandatory) but cannot be "
                    f"planned: missing {', '.join(missing)}.",
                    "error",
                )
            continue
        if window.start + window.duration <= 0:
            window.start = 1 - window.duration  # overdue work in progress: one month left, said so
            data.warn(f"{initiative.key} is in progress past its planned finish: one more month assumed.")
        data.windows[initiative.key] = window
    _rules(data)
    return data


def _window(initiative: Initiative, scenario: Scenario, start: dt.date) -> tuple[Window | None, list[str]]:
    planning = getattr(initiative, "planning", None)
    overrides = scenario.date_overrides.get(initiative.key, {}) if scenario.date_overrides else {}

    def date_of(name):
        if name in overrides:
            return _parse(overrides[name])
        return getattr(planning, name, None) if planning is not None else None

    fixed, earliest, deadline = date_of("fixed_start"), date_of("earliest_start"), date_of("deadline")
    duration = planning.duration_months if planning is not None else None
    if duration is None and initiative.planned_start and initiative.planned_finish:
        duration = month_index(initiative.planned_start, initiative.planned_finish) + 1
    efforts = {e.team.code: float(e.person_days) for e in initiative.efforts.all()}
    missing = []
    if not duration:
        missing.append("duration (months, or planned start and finish)")
    if not efforts:
        missing.append("effort per team")
    if missing:
        return None, missing
    committed = initiative.stage == Initiative.Stage.IN_PROGRESS
    began = initiative.actual_start or initiative.planned_start
    anchor = fixed or earliest or (began if committed else initiative.planned_start) or start
    window = Window(
        key=initiative.key,
        title=initiative.title,
        team=initiative.team.code if initiative.team_id else "",
        start=month_index(start, anchor),
        duration=int(duration),
        effort=efforts,
        capex=float(initiative.budget_capex),
        opex=float(initiative.budget_opex),
        committed=committed,
        mandatory=bool(planning and planning.is_mandatory),
        earliest=month_index(start, earliest) if earliest else None,
        deadline=month_index(start, deadline) if deadline else None,
        fixed=month_index(start, fixed) if fixed else None,
        ongoing=initiative.kind == Initiative.Kind.RUN,
    )
    if not committed and window.start < 0:
        window.start = 0  # not started yet: it can start with the plan
    return window, []


def _rules(data: PlanningData) -> None:
    keys = set(data.windows)
    open_missing = {m["key"] for m in data.missing}
    deps = Dependency.objects.filter(hard=True).select_related("predecessor", "successor")
    for dep in deps:
        pred, succ = dep.predecessor.key, dep.successor.key
        if succ in keys and pred in keys:
            data.requires.setdefault(succ, []).append(pred)
            data.hard_dependencies.append(dep)
        elif succ in keys and pred in open_missing:
            data.warn(f"{succ} depends on {pred}, which cannot be planned yet (missing estimates).")
    for rule in SelectionRule.objects.select_related("initiative", "other"):
        a, b = rule.initiative.key, rule.other.key
        if a not in keys or b not in keys:
            continue
        if rule.kind == SelectionRule.Kind.REQUIRES:
            data.requires.setdefault(a, []).append(b)
        else:
            data.exclusions[f"{a} or {b}"] = (a, b)


def selection_problem(data: PlanningData) -> selection.SelectionProblem:
    """Candidates with per-year costs and per-quarter effort, limits from the scenario."""
    scenario = data.scenario
    start = scenario.start.replace(day=1)
    horizon = scenario.horizon_months
    candidates = []
    for key, w in data.windows.items():
        capex: dict[int, float] = {}
        opex: dict[int, float] = {}
        effort: dict[tuple[str, str], float] = {}
        for month in range(w.plan_start, w.start + w.duration):
            year = month_date(start, month).year
            capex[year] = capex.get(year, 0.0) + w.capex / w.duration
            opex[year] = opex.get(year, 0.0) + w.opex / w.duration
            if month < horizon:
                quarter = quarter_of(start, month)
                for team, days in w.effort.items():
                    effort[team, quarter] = effort.get((team, quarter), 0.0) + days / w.duration
        candidates.append(
            selection.Candidate(
                id=key,
                score=data.scores[key],
                capex=capex,
                opex=opex,
                effort=effort,
                requires=tuple(sorted(set(data.requires.get(key, ())))),
                mandatory=w.mandatory,
                committed=w.committed,
                name=w.title,
            )
        )
    budgets = scenario.budgets or {}
    capacity: dict[tuple[str, str], float] = {}
    used_teams = {t for w in data.windows.values() for t in w.effort}
    for team in sorted(used_teams):
        per_month = capacity_per_month(data, team)
        for month in range(horizon):
            cell = (team, quarter_of(start, month))
            capacity[cell] = capacity.get(cell, 0.0) + per_month
    keys = set(data.windows)
    forced_in = {i.key for i in scenario.forced_in.all()}
    forced_out = {i.key for i in scenario.forced_out.all()}
    for key in sorted((forced_in | forced_out) - keys):
        data.warn(f"{key} is forced in or out but is not a candidate (closed, a program or not estimated).")
    return selection.SelectionProblem(
        candidates=tuple(candidates),
        capex_budget={int(y): float(v.get("capex", 0)) for y, v in budgets.items() if "capex" in v},
        opex_budget={int(y): float(v.get("opex", 0)) for y, v in budgets.items() if "opex" in v},
        capacity=capacity,
        exclusion_groups=data.exclusions,
        forced_in=frozenset(forced_in & keys),
        forced_out=frozenset(forced_out & keys),
    )


def capacity_per_month(data: PlanningData, team: str) -> float:
    factor = float((data.scenario.capacity_factors or {}).get(team, 1.0))
    row = data.teams.get(team)
    return float(row.capacity_pd_per_month) * factor if row is not None else 0.0


def schedule_problem(data: PlanningData, selected: list[str]) -> scheduling.PortfolioProblem:
    """The selected initiatives by month; weights follow the score order."""
    start = data.scenario.start.replace(day=1)
    order = sorted(selected, key=lambda k: -data.scores[k])
    weight = {k: max(1, len(order) - n) for n, k in enumerate(order)}
    items = []
    for key in order:
        w = data.windows[key]
        began_before = w.start < 0
        effort = {team: days * w.share for team, days in w.effort.items()}
        items.append(
            scheduling.PlanItem(
                key=key,
                duration=w.remaining,
                effort=effort,
                earliest_start=max(w.earliest or 0, 0),
                deadline=w.deadline,
                fixed_start=0 if began_before else w.fixed,
                weight=weight[key],
                ongoing=w.ongoing,
            )
        )
    chosen = set(selected)
    deps = tuple(
        scheduling.PlanDependency(
            d.predecessor.key, d.successor.key, d.type, round(d.lag_days * MONTHS_PER_LAG_DAY)
        )
        for d in data.hard_dependencies
        # Work already under way has passed its predecessors: its arcs no longer bind.
        if d.predecessor.key in chosen
        and d.successor.key in chosen
        and data.windows[d.successor.key].start >= 0
    )
    teams = sorted({t for key in selected for t in data.windows[key].effort})
    capacity = {t: tuple([capacity_per_month(data, t)] * data.scenario.horizon_months) for t in teams}
    return scheduling.PortfolioProblem(tuple(items), deps, capacity, (start.year, start.month))
