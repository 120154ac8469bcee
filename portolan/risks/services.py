"""Risk use cases: the register with its score history, mitigation actions, roll-ups,
heatmaps and the schedule-risk Monte Carlo (``portolan.engine.montecarlo``)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from portolan.core import services
from portolan.core.audit import ChangeContext
from portolan.core.roles import CHANGE
from portolan.engine import montecarlo as mc
from portolan.portfolio.models import Dependency, Initiative, Milestone
from portolan.risks.models import (
    PROBABILITY_SHARE,
    DurationEstimate,
    MitigationAction,
    Risk,
    RiskScoreChange,
    ScheduleRiskRun,
)

SCORE_FIELDS = ("probability", "impact", "residual_probability", "residual_impact")
OPEN_STATUSES = [s for s in Risk.Status.values if s != Risk.Status.CLOSED]


# ----------------------------------------------------------------------------------- risks


def _record_scores(ctx: ChangeContext, risk: Risk, date: dt.date | None = None) -> RiskScoreChange:
    """Append one score-history row (derived, append-only: written only here)."""
    user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    return RiskScoreChange.objects.create(
        risk=risk,
        date=date or timezone.localdate(),
        probability=risk.probability,
        impact=risk.impact,
        residual_probability=risk.residual_probability,
        residual_impact=risk.residual_impact,
        inherent_score=risk.inherent_score,
        residual_score=risk.residual_score,
        changed_by=user,
        reason=ctx.reason[:300],
    )


@transaction.atomic
def create_risk(ctx: ChangeContext, data: Mapping, assessed_on: dt.date | None = None) -> Risk:
    risk = services.create(ctx, Risk, data)
    _record_scores(ctx, risk, assessed_on)
    return risk


@transaction.atomic
def update_risk(ctx: ChangeContext, risk: Risk, data: Mapping, assessed_on: dt.date | None = None) -> Risk:
    """Update a risk; a change of any score appends a row to its score history."""
    before = tuple(getattr(risk, f) for f in SCORE_FIELDS)
    risk = services.update(ctx, risk, data)
    if tuple(getattr(risk, f) for f in SCORE_FIELDS) != before:
        _record_scores(ctx, risk, assessed_on)
    return risk


def reassess(
    ctx: ChangeContext, risk: Risk, scores: Mapping, reason: str = "", on: dt.date | None = None
) -> Risk:
    """A new assessment of the scores (with the reason kept in the audit row and the history)."""
    unknown = set(scores) - set(SCORE_FIELDS)
    if unknown:
        raise ValidationError(f"Only scores can be reassessed, not {', '.join(sorted(unknown))}.")
    return update_risk(ctx.with_reason(reason) if reason else ctx, risk, scores, assessed_on=on)


def delete_risk(ctx: ChangeContext, risk: Risk) -> None:
    services.delete(ctx, risk)


# ------------------------------------------------------------------------------- actions


def _require_risk_change(ctx: ChangeContext, risk: Risk) -> None:
    if ctx.user is not None and not risk.user_can(ctx.user, CHANGE):
        raise PermissionDenied(f"You may not add actions to {risk.key}: it is not your risk.")


@transaction.atomic
def add_action(ctx: ChangeContext, data: Mapping) -> MitigationAction:
    risk = data.get("risk")
    if not isinstance(risk, Risk):
        raise ValidationError({"risk": "Choose the risk this action mitigates."})
    _require_risk_change(ctx, risk)
    data = dict(data)
    if data.get("status") == MitigationAction.Status.DONE and not data.get("completed_date"):
        data["completed_date"] = timezone.localdate()
    return services.create(ctx, MitigationAction, data)


@transaction.atomic
def update_action(ctx: ChangeContext, action: MitigationAction, data: Mapping) -> MitigationAction:
    data = dict(data)
    if "risk" in data and data["risk"] != action.risk:
        _require_risk_change(ctx, data["risk"])
    if data.get("status") == MitigationAction.Status.DONE and not (
        data.get("completed_date") or action.completed_date
    ):
        data["completed_date"] = timezone.localdate()
    return services.update(ctx, action, data)


def overdue_actions(actions, today: dt.date | None = None):
    today = today or timezone.localdate()
    return actions.filter(status__in=MitigationAction.OPEN, due_date__lt=today)


# -------------------------------------------------------------------- heatmap and roll-ups


def heatmap(risks, which: str = "residual") -> list[list[int]]:
    """5x5 counts: rows impact 5..1 (top to bottom), columns probability 1..5."""
    p, i = ("residual_probability", "residual_impact") if which == "residual" else ("probability", "impact")
    counts = {(row[p], row[i]): row["n"] for row in risks.values(p, i).annotate(n=Count("pk")).order_by()}
    return [[counts.get((prob, imp), 0) for prob in range(1, 6)] for imp in range(5, 0, -1)]


def rollup(risks, by: str) -> list[dict]:
    """Open risks per team, objective or program: count, red count, total residual exposure."""
    field = {"team": "team__name", "objective": "objectives__code", "program": "initiatives__parent__key"}[by]
    rows = (
        risks.filter(status__in=OPEN_STATUSES)
        .values(field)
        .annotate(n=Count("pk", distinct=True), exposure=Sum("residual_score"))
        .order_by("-exposure")
    )
    return [{"label": r[field] or "—", "n": r["n"], "exposure": r["exposure"] or 0} for r in rows]


def exposure_trend(risks, as_of: dt.date, months: int = 12) -> list[dict]:
    """Total inherent and residual exposure at each month end, from the score history."""
    history = defaultdict(list)
    for risk_id, date, inherent, residual in (
        RiskScoreChange.objects.filter(risk__in=risks, date__lte=as_of)
        .order_by("risk_id", "date", "pk")
        .values_list("risk_id", "date", "inherent_score", "residual_score")
    ):
        history[risk_id].append((date, inherent, residual))
    points = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - back, 12)
        first_next = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        end = min(first_next - dt.timedelta(days=1), as_of)
        inherent = residual = 0
        for rows in history.values():
            current = None
            for row in rows:
                if row[0] > end:
                    break
                current = row
            if current is not None:
                inherent += current[1]
                residual += current[2]
        points.append({"month": f"{year}-{month + 1:02d}", "inherent": inherent, "residual": residual})
    return points


# ------------------------------------------------------------------------- schedule risk

OPTIMISTIC_SPREAD, PESSIMISTIC_SPREAD = 0.9, 1.4  # derived estimates: planned duration x these
START = "START"


@transaction.atomic
def save_estimate(ctx: ChangeContext, obj: DurationEstimate | None, data: Mapping) -> DurationEstimate:
    if obj is None:
        return services.create(ctx, DurationEstimate, data)
    return services.update(ctx, obj, data)


def _days(day: dt.date, as_of: dt.date) -> float:
    return float((day - as_of).days)


def build_network(initiatives, as_of: dt.date, risks=None) -> dict:
    """Translate the portfolio into the engine's activities, links and risk events.

    Day 0 is ``as_of``. Each open initiative with planned dates is an activity whose remaining
    duration is its three-point estimate (stored, or planned duration x 0.9 / 1 / 1.4, flagged
    ``derived``) times the work left (1 - progress); it cannot start before its planned start
    (an SS link from a zero-length START). Programs finish with their last project. Each future
    planned milestone is a zero-length activity that keeps its distance to its initiative's
    finish (an FF link with a negative lag). Open risks with a schedule delay occur with the
    probability of their residual rating and delay every linked initiative.
    """
    rows = list(
        initiatives.exclude(stage__in=["done", "cancelled"])
        .filter(planned_start__isnull=False, planned_finish__isnull=False)
        .values(
            "pk",
            "key",
            "title",
            "kind",
            "parent_id",
            "planned_start",
            "planned_finish",
            "baseline_finish",
            "actual_start",
            "progress",
            "stage",
        )
    )
    by_pk = {r["pk"]: r for r in rows}
    estimates = {
        e["initiative_id"]: e
        for e in DurationEstimate.objects.filter(initiative_id__in=by_pk).values(
            "initiative_id", "optimistic_days", "most_likely_days", "pessimistic_days"
        )
    }
    activities = [mc.Activity(START, duration=0.0)]
    links: list[mc.Link] = []
    meta: dict[str, dict] = {}
    children = defaultdict(list)
    for r in rows:
        if r["parent_id"] in by_pk:
            children[r["parent_id"]].append(r)
    for r in rows:
        aid = f"I{r['pk']}"
        deadline_day = r["baseline_finish"] or r["planned_finish"]
        if r["kind"] == Initiative.Kind.PROGRAM and children.get(r["pk"]):
            activities.append(mc.Activity(aid, duration=0.0, deadline=_days(deadline_day, as_of)))
            links.extend(mc.Link(f"I{c['pk']}", aid, "FS", 0.0) for c in children[r["pk"]])
            meta[aid] = {"kind": "initiative", "row": r, "derived": False, "rollup": True}
            continue
        planned = max(0, (r["planned_finish"] - r["planned_start"]).days)
        stored = estimates.get(r["pk"])
        if stored:
            low, mode, high = (
                stored["optimistic_days"],
                stored["most_likely_days"],
                stored["pessimistic_days"],
            )
        else:
            low, mode, high = planned * OPTIMISTIC_SPREAD, float(planned), planned * PESSIMISTIC_SPREAD
        started = r["actual_start"] is not None or r["planned_start"] <= as_of
        left = 1 - min(r["progress"], 100) / 100 if started else 1.0
        activities.append(
            mc.Activity(aid, low * left, mode * left, high * left, deadline=_days(deadline_day, as_of))
        )
        offset = max(0.0, _days(r["planned_start"], as_of))
        links.append(mc.Link(START, aid, "SS", offset))
        meta[aid] = {"kind": "initiative", "row": r, "derived": not stored, "rollup": False}
    for d in Dependency.objects.filter(predecessor_id__in=by_pk, successor_id__in=by_pk).values_list(
        "predecessor_id", "successor_id", "type", "lag_days"
    ):
        links.append(mc.Link(f"I{d[0]}", f"I{d[1]}", d[2], float(d[3])))
    for m in Milestone.objects.filter(
        initiative_id__in=by_pk, status=Milestone.Status.PLANNED, planned_date__gte=as_of
    ).values("pk", "name", "initiative_id", "planned_date", "baseline_date", "key_milestone"):
        owner = by_pk[m["initiative_id"]]
        mid = f"M{m['pk']}"
        deadline_day = m["baseline_date"] or m["planned_date"]
        activities.append(mc.Activity(mid, duration=0.0, deadline=_days(deadline_day, as_of)))
        links.append(
            mc.Link(f"I{owner['pk']}", mid, "FF", -float((owner["planned_finish"] - m["planned_date"]).days))
        )
        meta[mid] = {"kind": "milestone", "row": m, "initiative": owner}
    events = []
    if risks is not None:
        linked = defaultdict(list)
        risk_rows = {}
        for r in risks.filter(status__in=OPEN_STATUSES, schedule_delay_max__gt=0).values(
            "pk",
            "key",
            "title",
            "residual_probability",
            "schedule_delay_min",
            "schedule_delay_likely",
            "schedule_delay_max",
            "initiatives",
        ):
            risk_rows[r["pk"]] = r
            target = f"I{r['initiatives']}" if r["initiatives"] else None
            if target in meta and not meta[target].get("rollup"):
                linked[r["pk"]].append(target)
        for pk, targets in linked.items():
            r = risk_rows[pk]
            events.append(
                mc.RiskEvent(
                    id=f"R{pk}",
                    probability=PROBABILITY_SHARE[r["residual_probability"]],
                    activities=tuple(sorted(set(targets))),
                    minimum=float(r["schedule_delay_min"]),
                    most_likely=float(r["schedule_delay_likely"]),
                    maximum=float(r["schedule_delay_max"]),
                )
            )
            meta[f"R{pk}"] = {"kind": "risk", "row": r}
    return {"activities": activities, "links": links, "risks": events, "meta": meta}


def run_schedule_risk(initiatives, risks, as_of: dt.date, seed: int = 42, iterations: int = 2000) -> dict:
    """Simulate and return a JSON-ready result: per initiative and milestone P50/P80/P95 dates,
    probability of meeting the deadline, criticality; the tornado; the risks' effect."""
    if not 100 <= iterations <= 50_000:
        raise ValidationError({"iterations": "Use between 100 and 50,000 iterations."})
    network = build_network(initiatives, as_of, risks)
    try:
        result = mc.simulate(
            network["activities"], network["links"], network["risks"], iterations=iterations, seed=seed
        )
    except (mc.EstimateError, mc.NetworkError) as exc:
        raise ValidationError(f"The schedule network is not valid: {exc}") from None
    meta = network["meta"]

    def when(days: float) -> str:
        return (as_of + dt.timedelta(days=round(days))).isoformat()

    items, milestones = [], []
    for aid, a in result.activities.items():
        info = meta.get(aid)
        if info is None:
            continue
        row = info["row"]
        common = {
            "p50": when(a.p50),
            "p80": when(a.p80),
            "p95": when(a.p95),
            "deadline": when(a.deadline) if a.deadline is not None else None,
            "probability": a.deadline_probability,
            "criticality": round(a.criticality, 3),
        }
        if info["kind"] == "initiative":
            items.append(
                {
                    "id": row["pk"],
                    "key": row["key"],
                    "title": row["title"],
                    "planned": row["planned_finish"].isoformat(),
                    "derived": info["derived"],
                    "rollup": info["rollup"],
                    **common,
                }
            )
        else:
            owner = info["initiative"]
            milestones.append(
                {
                    "id": row["pk"],
                    "name": row["name"],
                    "initiative_id": owner["pk"],
                    "initiative": owner["key"],
                    "key_milestone": row["key_milestone"],
                    "planned": row["planned_date"].isoformat(),
                    **common,
                }
            )
    names = {f"I{r['row']['pk']}": r["row"]["key"] for r in meta.values() if r["kind"] == "initiative"}
    tornado = [{"key": names[a], "sensitivity": round(s, 3)} for a, s in result.tornado if a in names][:15]
    risk_rows = []
    for r in result.risks:
        row = meta[r.id]["row"]
        risk_rows.append(
            {
                "id": row["pk"],
                "key": row["key"],
                "title": row["title"],
                "occurrence": round(r.occurrence_rate, 3),
                "impact_days": None if r.mean_finish_impact is None else round(r.mean_finish_impact, 1),
            }
        )
    return {
        "as_of": as_of.isoformat(),
        "seed": seed,
        "iterations": iterations,
        "project": {
            "p50": when(result.project.p50),
            "p80": when(result.project.p80),
            "p95": when(result.project.p95),
        },
        "initiatives": sorted(items, key=lambda x: x["p80"]),
        "milestones": sorted(milestones, key=lambda x: x["p80"]),
        "tornado": tornado,
        "risks": risk_rows,
        "derived_count": sum(1 for i in items if i["derived"] and not i["rollup"]),
    }


@transaction.atomic
def store_schedule_risk(
    ctx: ChangeContext, as_of: dt.date, seed: int = 42, iterations: int = 2000
) -> ScheduleRiskRun:
    """Run the simulation over the whole portfolio and keep it as the dashboard's reference."""
    result = run_schedule_risk(Initiative.objects.all(), Risk.objects.all(), as_of, seed, iterations)
    user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    return services.create(
        ctx,
        ScheduleRiskRun,
        {"as_of": as_of, "seed": seed, "iterations": iterations, "result": result, "created_by": user},
    )
