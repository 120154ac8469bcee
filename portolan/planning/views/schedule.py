"""The schedule: the roadmap timeline (server-rendered SVG), team load and delay reasons."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from portolan.core.roles import VIEW
from portolan.planning import charts, roadmap
from portolan.planning.models import Baseline, Scenario
from portolan.planning.views.scenarios import scenario_from_query
from portolan.portfolio.models import Initiative, Objective, Team

FILTERS = ("team", "objective", "program", "critical", "q")


def _options(request) -> dict:
    get = request.GET
    return {
        "lane": get.get("lane", "team") if get.get("lane") in roadmap.LANES else "team",
        "zoom": get.get("zoom", "month") if get.get("zoom") in roadmap.ZOOMS else "month",
        "filters": {k: get.get(k, "") for k in FILTERS if get.get(k)},
    }


def _baseline(request, user):
    visible = Baseline.objects.restrict(user, VIEW)
    pk = request.GET.get("baseline", "")
    if pk == "none":
        return None
    if pk.isdigit():
        return visible.filter(pk=int(pk)).first()
    return visible.order_by("-date", "-pk").first()


def build_roadmap(request):
    scenario = scenario_from_query(request)
    options = _options(request)
    baseline = _baseline(request, request.user)
    results = scenario.results if scenario else {}
    drawn = roadmap.build(
        results,
        lane=options["lane"],
        zoom=options["zoom"],
        baseline=baseline.snapshot if baseline else None,
        today=timezone.localdate(),
        filters=options["filters"],
    )
    return scenario, baseline, options, drawn


class ScheduleView(View):
    def get(self, request):
        scenario, baseline, options, drawn = build_roadmap(request)
        results = (scenario.results if scenario else None) or {}
        schedule = results.get("schedule") or {}
        items = schedule.get("items", [])
        pks = dict(Initiative.objects.filter(key__in=[i["key"] for i in items]).values_list("key", "pk"))
        delayed = [{**i, "pk": pks.get(i["key"])} for i in items if i["reasons"]]
        query = request.GET.copy()
        context = {
            "scenario": scenario,
            "scenarios": Scenario.objects.restrict(request.user),
            "baseline": baseline,
            "baselines": Baseline.objects.restrict(request.user),
            "options": options,
            "roadmap": drawn,
            "schedule": schedule,
            "results": results,
            "delayed": delayed,
            "load_spec": charts.load_heatmap(schedule["load"]) if schedule.get("load") else None,
            "teams": Team.objects.restrict(request.user).order_by("name"),
            "objectives": Objective.objects.restrict(request.user)
            .filter(children__isnull=True)
            .order_by("code"),
            "programs": Initiative.objects.restrict(request.user).filter(kind="program").order_by("key"),
            "lanes": roadmap.LANES,
            "zooms": roadmap.ZOOMS,
            "query": query.urlencode(),
            "today": timezone.localdate(),
        }
        return render(request, "planning/schedule.html", context)


class RoadmapSvgView(View):
    """The same roadmap as a standalone SVG file (for reports)."""

    def get(self, request):
        scenario, _, _, drawn = build_roadmap(request)
        response = HttpResponse(
            '<?xml version="1.0" encoding="UTF-8"?>\n' + drawn.svg, content_type="image/svg+xml"
        )
        name = f"roadmap-{scenario.name if scenario else 'empty'}-{timezone.localdate():%Y%m%d}.svg".replace(
            " ", "-"
        )
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
