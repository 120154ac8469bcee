"""Planning use cases: the only place that writes planning objects or calls the engines.

Pages, the API, the demo and the ``portolan scenario`` command call these functions; each
checks the actor's permission (through :mod:`portolan.core.services`) and writes its audit
rows in the same transaction.
"""

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portolan.core import services
from portolan.core.audit import ChangeContext
from portolan.core.roles import is_manager
from portolan.engine import scheduling, selection
from portolan.engine.graph import cycle_if_added
from portolan.planning import problem
from portolan.planning.models import Baseline, PlanningInput, Scenario, ScoringModel, SelectionRule
from portolan.portfolio.models import Initiative, Milestone

TIME_LIMIT = 10.0  # seconds, a web request's budget for the selection
FRONTIER_TIME_LIMIT = 2.0  # seconds per budget level
SCHEDULE_TIME_LIMIT = 8.0
MIP_REL_GAP = 1e-3


def _require_manager(ctx: ChangeContext, what: str) -> None:
    if ctx.user is not None and not is_manager(ctx.user):
        raise PermissionDenied(f"Only portfolio managers and admins may {what}.")


# --------------------------------------------------------------------------- planning inputs


@transaction.atomic
def save_planning_input(ctx: ChangeContext, initiative: Initiative, data: Mapping) -> PlanningInput:
    """Create or update the planning inputs of an initiative (owners and managers)."""
    existing = PlanningInput.objects.filter(initiative=initiative).first()
    if existing is None:
        return services.create(ctx, PlanningInput, {"initiative": initiative, **data})
    return services.update(ctx, existing, data)


@transaction.atomic
def set_manual_rank(
    ctx: ChangeContext, initiative: Initiative, rank: int | None, reason: str
) -> PlanningInput:
    """Override (or clear, with ``None``) an initiative's backlog rank; the reason is audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"rank_reason": "Say why the rank is overridden (or cleared)."})
    if rank is not None and rank < 1:
        raise ValidationError({"manual_rank": "A rank is 1 or more."})
    data = {"manual_rank": rank, "rank_reason": reason if rank is not None else ""}
    return save_planning_input(ctx.with_reason(reason), initiative, data)


# --------------------------------------------------------------------------- scoring models


@transaction.atomic
def save_scoring_model(ctx: ChangeContext, model: ScoringModel | None, data: Mapping) -> ScoringModel:
    _require_manager(ctx, "change scoring models")
    if data.get("is_default"):
        for other in ScoringModel.objects.filter(is_default=True).exclude(pk=getattr(model, "pk", None)):
            services.update(ctx, other, {"is_default": False})
    if model is None:
        return services.create(ctx, ScoringModel, data)
    return services.update(ctx, model, data)


def default_scoring_model() -> ScoringModel | None:
    return ScoringModel.objects.filter(is_default=True).first() or ScoringModel.objects.first()


# --------------------------------------------------------------------------- selection rules


@transaction.atomic
def add_selection_rule(ctx: ChangeContext, data: Mapping) -> SelectionRule:
    """Add a requires/excludes rule; a "requires" closing a cycle is refused, naming it."""
    _require_manager(ctx, "change selection rules")
    if data.get("kind", SelectionRule.Kind.REQUIRES) == SelectionRule.Kind.REQUIRES:
        edges = SelectionRule.objects.filter(kind=SelectionRule.Kind.REQUIRES).values_list(
            "initiative_id", "other_id"
        )
        cycle = cycle_if_added(list(edges), (data["initiative"].pk, data["other"].pk))
        if cycle:
            keys = dict(Initiative.objects.filter(pk__in=set(cycle)).values_list("pk", "key"))
            raise ValidationError(
                {
                    "other": "This rule would close a cycle: "
                    + " requires ".join(keys[pk] for pk in cycle)
                    + "."
                }
            )
    return services.create(ctx, SelectionRule, data)


@transaction.atomic
def remove_selection_rule(ctx: ChangeContext, rule: SelectionRule) -> None:
    _require_manager(ctx, "change selection rules")
    services.delete(ctx, rule)


# --------------------------------------------------------------------------- scenarios


def plan_of_record() -> Scenario | None:
    return Scenario.objects.filter(is_plan_of_record=True).first()


def first_of_month(day: dt.date | None = None) -> dt.date:
    return (day or timezone.localdate()).replace(day=1)


@transaction.atomic
def create_scenario(ctx: ChangeContext, data: Mapping, based_on: Scenario | None = None) -> Scenario:
    """A new scenario, copying budgets, capacity, forced items and dates from ``based_on``
    (by default the plan of record). The very first scenario becomes the plan of record."""
    _require_manager(ctx, "create scenarios")
    data = dict(data)
    based_on = based_on or data.pop("based_on", None)
    source = based_on if based_on is not None else plan_of_record()
    values: dict = {"start": first_of_month()}
    if source is not None:
        values.update(
            based_on=source,
            scoring_model=source.scoring_model,
            start=source.start,
            horizon_months=source.horizon_months,
            budgets=dict(source.budgets),
            capacity_factors=dict(source.capacity_factors),
            date_overrides=dict(source.date_overrides),
            forced_in=list(source.forced_in.all()),
            forced_out=list(source.forced_out.all()),
        )
    values.update({k: v for k, v in data.items() if v is not None or k not in values})
    if values.get("scoring_model") is None:
        values["scoring_model"] = default_scoring_model()
    values["is_plan_of_record"] = (
        source is None and not Scenario.objects.filter(is_plan_of_record=True).exists()
    )
    return services.create(ctx, Scenario, values)


@transaction.atomic
def update_scenario(ctx: ChangeContext, scenario: Scenario, data: Mapping) -> Scenario:
    _require_manager(ctx, "change scenarios")
    data = dict(data)
    if scenario.status == Scenario.Status.SOLVED or scenario.status == Scenario.Status.INFEASIBLE:
        before = Scenario.objects.get(pk=scenario.pk)
        changed = any(_differs(getattr(before, k), v) for k, v in data.items() if k in _INPUT_FIELDS)
        if changed:
            Scenario.objects.filter(pk=scenario.pk).update(status=Scenario.Status.STALE)
            scenario.status = Scenario.Status.STALE
    return services.update(ctx, scenario, data)


_INPUT_FIELDS = {
    "scoring_model",
    "start",
    "horizon_months",
    "budgets",
    "capacity_factors",
    "forced_in",
    "forced_out",
    "date_overrides",
}


def _differs(current, new) -> bool:
    if hasattr(current, "all"):
        return {o.pk for o in current.all()} != {getattr(o, "pk", o) for o in new}
    return current != new


@transaction.atomic
def delete_scenario(ctx: ChangeContext, scenario: Scenario) -> None:
    _require_manager(ctx, "delete scenarios")
    if scenario.is_plan_of_record:
        raise ValidationError("The plan of record cannot be deleted: promote another scenario first.")
    services.delete(ctx, scenario)


@transaction.atomic
def promote_scenario(ctx: ChangeContext, scenario: Scenario, reason: str = "") -> Scenario:
    """Make ``scenario`` the plan of record (exactly one); both changes are audited."""
    _require_manager(ctx, "promote scenarios")
    scenario = Scenario.objects.get(pk=scenario.pk)
    if scenario.is_plan_of_record:
        return scenario
    if scenario.status != Scenario.Status.SOLVED:
        raise ValidationError(
            "Only a solved, feasible scenario can become the plan of record: solve it first."
        )
    ctx = ctx.with_reason(reason or f"{scenario.name} promoted to plan of record")
    for current in Scenario.objects.filter(is_plan_of_record=True):
        _set_flag(ctx, current, False)
    _set_flag(ctx, scenario, True)
    scenario.refresh_from_db()
    return scenario


def _set_flag(ctx: ChangeContext, scenario: Scenario, value: bool) -> None:
    from portolan.core import audit
    from portolan.core.models import AuditEntry

    services.check_permission(ctx, scenario, "change")
    before = audit.snapshot(scenario)
    Scenario.objects.filter(pk=scenario.pk).update(is_plan_of_record=value)
    scenario.is_plan_of_record = value
    audit.record(ctx, AuditEntry.Action.UPDATE, scenario, before, audit.snapshot(scenario))


def solve_scenario(
    ctx: ChangeContext,
    scenario: Scenario,
    *,
    time_limit: float = TIME_LIMIT,
    frontier: bool = True,
) -> Scenario:
    """Select, schedule and store the results of ``scenario`` (status, solved_at, results).

    An infeasible selection stores the named conflicts (never an empty plan); missing
    estimates are listed; a dependency cycle is refused with the cycle named.
    """
    _require_manager(ctx, "solve scenarios")
    services.check_permission(ctx, scenario, "change")
    results = compute(scenario, time_limit=time_limit, frontier=frontier)
    status = Scenario.Status.SOLVED if results["feasible"] else Scenario.Status.INFEASIBLE
    with transaction.atomic():
        # Results are derived data: the audit row records the status change, not the payload.
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        from portolan.core import audit
        from portolan.core.models import AuditEntry

        before = audit.snapshot(scenario)
        scenario.status, scenario.solved_at, scenario.results = status, timezone.now(), results
        scenario.save(update_fields=["status", "solved_at", "results", "updated"])
        audit.record(
            ctx.with_reason(ctx.reason or "solved"),
            AuditEntry.Action.UPDATE,
            scenario,
            before,
            audit.snapshot(scenario),
        )
    return scenario


def compute(scenario: Scenario, *, time_limit: float = TIME_LIMIT, frontier: bool = True) -> dict:
    """The results payload of a scenario (plain JSON), without writing anything."""
    scoring_model = scenario.scoring_model or default_scoring_model()
    data = problem.collect(scenario, scoring_model)
    sel_problem = problem.selection_problem(data)
    results: dict = {
        "scoring_model": scoring_model.name if scoring_model else "WSJF (built in)",
        "start": scenario.start.isoformat(),
        "scores": {k: round(v, 4) for k, v in data.scores.items()},
        "missing": data.missing,
        "feasible": True,
        "conflicts": [],
        "selection": None,
        "frontier": [],
        "schedule": None,
        "milestones": [],
        "costs": {},
    }
    if not sel_problem.candidates:
        data.warn(
            "No initiative can be planned yet: complete the planning inputs listed as missing.", "error"
        )
        results["messages"] = data.messages
        results["feasible"] = False
        return results
    try:
        chosen = selection.solve(sel_problem, time_limit=time_limit, mip_rel_gap=MIP_REL_GAP)
    except selection.InfeasibleSelection as exc:
        results["feasible"] = False
        results["conflicts"] = [
            {"kind": c.kind, "message": c.message, "constraint": c.constraint, "items": list(c.items)}
            for c in exc.conflicts
        ]
        data.warn(
            "No plan satisfies the forced items: " + "; ".join(c.message for c in exc.conflicts), "error"
        )
        results["messages"] = data.messages
        return results
    results["selection"] = _selection_payload(chosen, sel_problem, data)
    results["costs"] = _costs(sel_problem, chosen.selected)
    if frontier and sel_problem.budget_total > 0:
        points = selection.efficient_frontier(
            sel_problem,
            frontier_factors(sel_problem),
            time_limit=FRONTIER_TIME_LIMIT,
            mip_rel_gap=MIP_REL_GAP,
        )
        greedy_by_level = {}
        for point in points:
            if point.value is None:
                continue
            try:
                greedy_by_level[point.factor] = selection.greedy(sel_problem.scaled(point.factor)).value
            except selection.InfeasibleSelection:
                greedy_by_level[point.factor] = None
        results["frontier"] = [
            {
                "factor": round(p.factor, 3),
                "budget_total": round(p.budget_total, 2),
                "value": None if p.value is None else round(p.value, 4),
                "greedy": greedy_by_level.get(p.factor),
                "count": len(p.selected),
                "proven_optimal": p.proven_optimal,
                "conflicts": [c.message for c in p.conflicts],
            }
            for p in points
        ]
    elif frontier:
        data.warn("No budget is set: the efficient frontier needs budgets per year to scale.", "info")
    try:
        schedule = scheduling.schedule_portfolio(
            problem.schedule_problem(data, list(chosen.selected)), time_limit=SCHEDULE_TIME_LIMIT
        )
    except scheduling.PlanningError as exc:
        results["feasible"] = False
        data.warn(f"The plan cannot be scheduled: {exc}.", "error")
        results["conflicts"].append({"kind": "schedule", "message": str(exc), "constraint": "", "items": []})
    else:
        results["schedule"] = _schedule_payload(schedule, data)
        results["milestones"] = _milestones(results["schedule"], data)
    results["messages"] = data.messages
    return results


def frontier_factors(prob: selection.SelectionProblem, count: int = 12) -> list[float]:
    """Budget multipliers from what the forced items alone need up to what everything needs.

    Budget-only view: capacity may still rule out some levels (they come back with conflicts).
    Always includes 1.0 (the scenario's own budgets).
    """
    forced = {c.id for c in prob.candidates if c.mandatory or c.committed or c.id in prob.forced_in}
    requires = {c.id: c.requires for c in prob.candidates}
    stack = list(forced)
    while stack:
        for req in requires.get(stack.pop(), ()):
            if req not in forced:
                forced.add(req)
                stack.append(req)
    low, high = 0.0, 0.0
    for kind, budget in (("capex", prob.capex_budget), ("opex", prob.opex_budget)):
        for year, limit in budget.items():
            if limit <= 0:
                continue
            need_forced = sum(getattr(c, kind).get(year, 0.0) for c in prob.candidates if c.id in forced)
            need_all = sum(
                getattr(c, kind).get(year, 0.0) for c in prob.candidates if c.id not in prob.forced_out
            )
            low, high = max(low, need_forced / limit), max(high, need_all / limit)
    low = max(low * 1.001, 0.05)  # just above what the forced items need (rounding)
    high = max(high, low * 1.5, 1.0)
    step = (high - low) / (count - 1)
    levels = {round(low + n * step, 4) for n in range(count)} | {1.0}
    return sorted(levels)


def _limiting(reasons: dict) -> list[dict]:
    """Constraints that kept items out ("would exceed capex 2027"), most blocking first."""
    counts: dict[str, list[str]] = {}
    for key, why in reasons.items():
        for text in why:
            if text.startswith("would exceed "):
                counts.setdefault(text.removeprefix("would exceed "), []).append(key)
    return [
        {"name": n, "items": sorted(v)}
        for n, v in sorted(counts.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def _selection_payload(result: selection.SelectionResult, prob: selection.SelectionProblem, data) -> dict:
    greedy_score = next(g for g in result.greedy if g.rule == "score")
    return {
        "selected": list(result.selected),
        "not_selected": list(result.not_selected),
        "objective": round(result.objective, 4),
        "proven_optimal": result.proven_optimal,
        "mip_gap": result.mip_gap,
        "status": result.status,
        "binding": list(result.binding),
        "limiting": _limiting(result.reasons_not_selected),
        "constraints": [
            {
                "name": c.name,
                "kind": c.kind,
                "usage": round(c.usage, 2),
                "limit": round(c.limit, 2),
                "binding": c.binding,
            }
            for c in result.constraints
        ],
        "greedy": [
            {"rule": g.rule, "value": round(g.value, 4), "selected": sorted(g.selected)}
            for g in result.greedy
        ],
        "greedy_score_value": round(greedy_score.value, 4),
        "gain_over_greedy": round(result.objective - greedy_score.value, 4),
        "reasons_not_selected": {k: list(v) for k, v in result.reasons_not_selected.items()},
        "forced": {
            c.id: ("mandatory" if c.mandatory else "committed" if c.committed else "forced in")
            for c in prob.candidates
            if c.mandatory or c.committed or c.id in prob.forced_in
        },
        "forced_out": sorted(prob.forced_out),
        "warnings": list(result.warnings),
        "solve_seconds": round(result.solve_seconds, 3),
        "budget_total": prob.budget_total,
    }


def _costs(prob: selection.SelectionProblem, selected) -> dict:
    chosen = set(selected)
    total = {"capex": 0.0, "opex": 0.0}
    for c in prob.candidates:
        if c.id in chosen:
            total["capex"] += sum(c.capex.values())
            total["opex"] += sum(c.opex.values())
    return {k: round(v, 2) for k, v in total.items()}


def _schedule_payload(schedule: scheduling.PortfolioSchedule, data) -> dict:
    start = data.scenario.start.replace(day=1)
    return {
        "items": [
            {
                "key": s.key,
                "title": data.windows[s.key].title,
                "start": s.start,
                "finish": s.finish,
                "start_label": s.start_label,
                "finish_label": s.finish_label,
                "start_date": problem.month_date(start, s.start).isoformat(),
                "finish_date": (problem.month_date(start, s.finish + 1) - dt.timedelta(days=1)).isoformat(),
                "planned_start": data.windows[s.key].start,
                "critical": s.critical,
                "delayed": bool(s.reasons),
                "slip_months": s.start - data.windows[s.key].plan_start,
                "reasons": list(s.reasons),
            }
            for s in schedule.items
        ],
        "critical_chain": list(schedule.critical_chain),
        "load": [
            {"team": r.team, "month": r.month, "label": r.label, "demand": r.demand, "capacity": r.capacity}
            for r in schedule.load
        ],
        "infeasibilities": list(schedule.infeasibilities),
        "missing_estimates": list(schedule.missing_estimates),
        "warnings": list(schedule.warnings),
        "end": schedule.end,
        "end_label": problem.month_date(start, max(schedule.end - 1, 0)).strftime("%Y-%m"),
        "method": schedule.method,
        "optimal": schedule.optimal,
    }


def _milestones(schedule: dict, data) -> list[dict]:
    """Milestones of scheduled initiatives, moved with their initiative's start."""
    shift = {i["key"]: i["start"] - data.windows[i["key"]].plan_start for i in schedule["items"]}
    rows = []
    milestones = Milestone.objects.filter(initiative__key__in=shift).select_related("initiative")
    for m in milestones.order_by("planned_date", "pk"):
        moved = problem.add_months(m.planned_date, shift[m.initiative.key])
        rows.append(
            {
                "id": m.pk,
                "initiative": m.initiative.key,
                "name": m.name,
                "key_milestone": m.key_milestone,
                "planned": m.planned_date.isoformat(),
                "projected": moved.isoformat(),
            }
        )
    return rows


# --------------------------------------------------------------------------- baselines


def current_dates(scenario: Scenario | None = None) -> dict:
    """Current dates per initiative and milestone: the plan of record's schedule, else planned dates."""
    scenario = scenario or plan_of_record()
    initiatives, milestones = {}, {}
    schedule = (scenario.results or {}).get("schedule") if scenario else None
    if schedule:
        for item in schedule["items"]:
            initiatives[item["key"]] = {"start": item["start_date"], "finish": item["finish_date"]}
        for m in scenario.results.get("milestones", []):
            milestones[f"{m['initiative']} · {m['name']}"] = {"date": m["projected"]}
    planned = Initiative.objects.exclude(kind=Initiative.Kind.PROGRAM).exclude(planned_start=None)
    for i in planned.values("key", "planned_start", "planned_finish"):
        initiatives.setdefault(
            i["key"],
            {"start": i["planned_start"].isoformat(), "finish": _iso(i["planned_finish"])},
        )
    for m in Milestone.objects.select_related("initiative").values("initiative__key", "name", "planned_date"):
        milestones.setdefault(
            f"{m['initiative__key']} · {m['name']}", {"date": m["planned_date"].isoformat()}
        )
    return {"initiatives": initiatives, "milestones": milestones}


def _iso(day):
    return day.isoformat() if day else None


@transaction.atomic
def capture_baseline(ctx: ChangeContext, data: Mapping) -> Baseline:
    """Freeze the current dates (plan of record) under a name."""
    _require_manager(ctx, "capture baselines")
    data = {"date": timezone.localdate(), **data}
    scenario = data.get("scenario") or plan_of_record()
    data["scenario"] = scenario
    baseline = services.create(ctx, Baseline, data)
    Baseline.objects.filter(pk=baseline.pk).update(snapshot=current_dates(scenario))
    baseline.refresh_from_db()
    return baseline


@transaction.atomic
def delete_baseline(ctx: ChangeContext, baseline: Baseline) -> None:
    _require_manager(ctx, "delete baselines")
    services.delete(ctx, baseline)


def variance(baseline: Baseline, scenario: Scenario | None = None) -> dict:
    """Per initiative and milestone: baseline date, current date, slip in days (+ is later)."""
    current = current_dates(scenario)
    out = {"initiatives": [], "milestones": []}
    snap = baseline.snapshot or {}
    for key, base in sorted(snap.get("initiatives", {}).items()):
        now = current["initiatives"].get(key)
        out["initiatives"].append(
            {
                "key": key,
                "baseline_start": base.get("start"),
                "baseline_finish": base.get("finish"),
                "start": now and now.get("start"),
                "finish": now and now.get("finish"),
                "slip_days": _slip(base.get("finish"), now and now.get("finish")),
            }
        )
    for key, base in sorted(snap.get("milestones", {}).items()):
        now = current["milestones"].get(key)
        out["milestones"].append(
            {
                "key": key,
                "baseline": base.get("date"),
                "current": now and now.get("date"),
                "slip_days": _slip(base.get("date"), now and now.get("date")),
            }
        )
    return out


def _slip(before: str | None, after: str | None) -> int | None:
    if not before or not after:
        return None
    return (dt.date.fromisoformat(after) - dt.date.fromisoformat(before)).days
