"""What the executive and team dashboards show: read-only figures, each with its drill-down link.

Every function reads through ``restrict`` and runs a fixed number of queries whatever the
size of the portfolio (aggregates and one query per panel; asserted in the tests).
"""

import datetime as dt
from collections import Counter, defaultdict
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from portolan.core import charts
from portolan.kpis import services as kpi_services
from portolan.kpis.models import Kpi
from portolan.portfolio.filters import NOT_SET
from portolan.portfolio.models import Effort, Initiative, Milestone, StatusUpdate, Team
from portolan.risks import services as risk_services
from portolan.risks.models import MitigationAction, Risk, ScheduleRiskRun

RAGS = ("green", "amber", "red", "")
HEALTH_MONTHS = 6


def _url(name: str, **params) -> str:
    base = reverse(name)
    return f"{base}?{urlencode(params, doseq=True)}" if params else base


def _month_ends(as_of: dt.date, months: int) -> list[tuple[str, dt.date]]:
    out = []
    for back in range(months - 1, -1, -1):
        index = as_of.year * 12 + as_of.month - 1 - back
        year, month = divmod(index, 12)
        nxt = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        out.append((f"{year}-{month + 1:02d}", min(nxt - dt.timedelta(days=1), as_of)))
    return out


def health_history(initiatives, as_of: dt.date, months: int = HEALTH_MONTHS) -> list[dict]:
    """RAG counts at each month end from the latest status update of each initiative (one query)."""
    ends = _month_ends(as_of, months)
    since = ends[0][1] - dt.timedelta(days=92)  # an update up to a quarter old still counts
    updates = defaultdict(list)
    for initiative_id, date, overall in (
        StatusUpdate.objects.filter(initiative__in=initiatives, date__gte=since, date__lte=as_of)
        .order_by("initiative_id", "date", "pk")
        .values_list("initiative_id", "date", "overall")
    ):
        updates[initiative_id].append((date, overall))
    points = []
    for label, end in ends:
        counts = Counter()
        for rows in updates.values():
            latest = None
            for date, overall in rows:
                if date > end:
                    break
                if (end - date).days <= 92:
                    latest = overall
                elif latest is not None:
                    latest = None
            if latest:
                counts[latest] += 1
        for order, rag in enumerate(("green", "amber", "red")):
            points.append({"month": label, "rag": rag, "n": counts[rag], "order": order})
    return points


def kpi_tiles(user, as_of: dt.date, kpis=None) -> list[dict]:
    if kpis is None:
        visible = Kpi.objects.restrict(user)
        kpis = list(visible.filter(on_dashboard=True)[:12]) or list(visible[:8])
    tiles = []
    for status in kpi_services.evaluate(kpis, as_of):
        tiles.append(
            {
                "status": status,
                "spec": charts.sparkline(status.series, status.status) if status.series else None,
                "url": status.kpi.get_absolute_url(),
            }
        )
    return tiles


def heatmaps(risks) -> dict:
    out = {}
    for which in ("inherent", "residual"):
        matrix = risk_services.heatmap(risks, which)
        p, i = (
            ("residual_probability", "residual_impact") if which == "residual" else ("probability", "impact")
        )
        rows = []
        for r, counts in enumerate(matrix):
            impact = 5 - r
            cells = []
            for c, n in enumerate(counts):
                probability = c + 1
                score = probability * impact
                band = "red" if score >= 15 else "amber" if score >= 5 else "green"
                url = _url(
                    "risks:risk_list", **{p: probability, i: impact, "status": risk_services.OPEN_STATUSES}
                )
                cells.append({"n": n, "band": band, "probability": probability, "impact": impact, "url": url})
            rows.append({"impact": impact, "cells": cells})
        out[which] = {"rows": rows, "total": sum(map(sum, matrix))}
    return out


def top_risks(risks, as_of: dt.date, limit: int = 8):
    return list(
        risks.filter(status__in=risk_services.OPEN_STATUSES)
        .select_related("owner", "team")
        .annotate(
            actions_open=Count("actions", filter=Q(actions__status__in=MitigationAction.OPEN)),
            actions_done=Count("actions", filter=Q(actions__status=MitigationAction.Status.DONE)),
            actions_overdue=Count(
                "actions",
                filter=Q(actions__status__in=MitigationAction.OPEN, actions__due_date__lt=as_of),
            ),
        )
        .order_by("-residual_score", "-inherent_score", "key")[:limit]
    )


def schedule_p80(run: ScheduleRiskRun | None, limit: int = 10) -> list[dict]:
    if run is None:
        return []
    milestones = run.result.get("milestones", [])
    key = [m for m in milestones if m.get("key_milestone")] or milestones
    return key[:limit]


def executive(user, as_of: dt.date) -> dict:
    """The executive dashboard: portfolio health, budget, milestones, KPIs, risks, P80 dates."""
    visible = Initiative.objects.restrict(user)
    active = visible.exclude(stage__in=[Initiative.Stage.CANCELLED])
    health = dict(active.values_list("health_overall").annotate(n=Count("pk")).order_by())
    total = sum(health.values())
    money = active.aggregate(
        capex=Sum("budget_capex"),
        opex=Sum("budget_opex"),
        forecast=Sum("forecast_cost"),
        actual=Sum("actual_cost"),
    )
    plan = float((money["capex"] or 0) + (money["opex"] or 0))
    figures = kpi_services.portfolio_evm(active, as_of)

    milestones = Milestone.objects.filter(initiative__in=active).select_related("initiative")
    soon = as_of + dt.timedelta(days=30)
    due = milestones.filter(status=Milestone.Status.PLANNED, planned_date__gte=as_of, planned_date__lte=soon)
    slipped = milestones.filter(status=Milestone.Status.PLANNED).filter(
        Q(planned_date__lt=as_of) | Q(baseline_date__isnull=False, planned_date__gt=F("baseline_date"))
    )
    ms_counts = milestones.aggregate(
        due=Count(
            "pk", filter=Q(status=Milestone.Status.PLANNED, planned_date__gte=as_of, planned_date__lte=soon)
        ),
        overdue=Count("pk", filter=Q(status=Milestone.Status.PLANNED, planned_date__lt=as_of)),
        slipped=Count(
            "pk",
            filter=Q(status=Milestone.Status.PLANNED)
            & (
                Q(planned_date__lt=as_of)
                | Q(baseline_date__isnull=False, planned_date__gt=F("baseline_date"))
            ),
        ),
    )

    risks = Risk.objects.restrict(user)
    open_risks = risks.filter(status__in=risk_services.OPEN_STATUSES)
    risk_counts = open_risks.aggregate(
        open=Count("pk"),
        red=Count("pk", filter=Q(residual_score__gte=15)),
        review_due=Count("pk", filter=Q(review_date__lt=as_of)),
    )
    overdue_actions = (
        MitigationAction.objects.restrict(user)
        .filter(status__in=MitigationAction.OPEN, due_date__lt=as_of)
        .count()
    )
    run = ScheduleRiskRun.objects.order_by("-created", "-pk").first()
    history = health_history(active, as_of)
    return {
        "today": as_of,
        "total": total,
        "health": [
            (
                rag,
                health.get(rag, 0),
                _url("portfolio:initiative_list", health=rag or NOT_SET),
            )
            for rag in RAGS
        ],
        "health_spec": charts.rag_history(history),
        "money": money,
        "plan": plan,
        "budget_spec": charts.budget_bars(
            plan, float(money["forecast"] or 0), float(money["actual"] or 0), settings.CURRENCY
        ),
        "evm": figures,
        "due": list(due.order_by("planned_date", "pk")[:10]),
        "slipped": list(slipped.order_by("planned_date", "pk")[:10]),
        "ms_counts": ms_counts,
        "kpis": kpi_tiles(user, as_of),
        "heatmaps": heatmaps(open_risks),
        "top_risks": top_risks(risks, as_of),
        "risk_counts": {**risk_counts, "overdue_actions": overdue_actions},
        "run": run,
        "p80": schedule_p80(run),
        "teams": list(Team.objects.order_by("name").values("pk", "name")),
        "links": {
            "due": _url("kpis:milestones", view="due"),
            "slipped": _url("kpis:milestones", view="slipped"),
            "overdue": _url("kpis:milestones", view="overdue"),
            "open_risks": _url("risks:risk_list", status=risk_services.OPEN_STATUSES),
            "red_risks": _url("risks:risk_list", band="red", status=risk_services.OPEN_STATUSES),
            "review_due": _url("risks:risk_list", review="due"),
            "overdue_actions": _url("risks:action_list", overdue="1"),
            "kpis": _url("kpis:kpi_list", on_dashboard="true"),
        },
    }


def team_load(team: Team, as_of: dt.date, months: int = 12) -> list[dict]:
    """Committed person-days per month (effort spread evenly over the planned months) vs capacity."""
    ends = _month_ends(as_of + dt.timedelta(days=31 * (months - 1)), months)
    load = defaultdict(float)
    rows = (
        Effort.objects.filter(team=team)
        .exclude(initiative__stage__in=[Initiative.Stage.DONE, Initiative.Stage.CANCELLED])
        .values_list("person_days", "initiative__planned_start", "initiative__planned_finish")
    )
    for days, start, finish in rows:
        if start is None or finish is None:
            continue
        span = max(1, (finish.year - start.year) * 12 + finish.month - start.month + 1)
        for k in range(span):
            index = start.year * 12 + start.month - 1 + k
            load[f"{index // 12}-{index % 12 + 1:02d}"] += float(days) / span
    capacity = float(team.capacity_pd_per_month)
    return [
        {"month": label, "load": round(load.get(label, 0.0), 1), "capacity": capacity} for label, _ in ends
    ]


def team(user, team_obj: Team, as_of: dt.date) -> dict:
    initiatives = (
        Initiative.objects.restrict(user).filter(team=team_obj).exclude(stage=Initiative.Stage.CANCELLED)
    )
    health = dict(initiatives.values_list("health_overall").annotate(n=Count("pk")).order_by())
    risks = Risk.objects.restrict(user).filter(team=team_obj)
    kpis = list(Kpi.objects.restrict(user).filter(team=team_obj))
    load = team_load(team_obj, as_of)
    return {
        "team": team_obj,
        "today": as_of,
        "health": [
            (
                rag,
                health.get(rag, 0),
                _url("portfolio:initiative_list", team=team_obj.pk, health=rag or NOT_SET),
            )
            for rag in RAGS
        ],
        "initiative_count": sum(health.values()),
        "kpis": kpi_tiles(user, as_of, kpis),
        "heatmaps": heatmaps(risks.filter(status__in=risk_services.OPEN_STATUSES)),
        "top_risks": top_risks(risks, as_of, limit=10),
        "risk_link": _url("risks:risk_list", team=team_obj.pk),
        "load": load,
        "load_spec": charts.load_bars(load),
        "overloaded": [m for m in load if m["capacity"] and m["load"] > m["capacity"]],
        "teams": list(Team.objects.order_by("name").values("pk", "name")),
    }
