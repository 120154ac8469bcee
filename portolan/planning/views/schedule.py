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


def _file_name(scenario: Scenario | None, suffix: str) -> str:
    name = f"roadmap-{scenario.name if scenario else 'empty'}-{timezone.localdate():%Y%m%d}.{suffix}"
    return "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "-" for c in name)


class RoadmapSvgView(View):
    """The same roadmap as a standalone SVG file (for reports)."""

    def get(self, request):
        scenario, _, _, drawn = build_roadmap(request)
        response = HttpResponse(
            '<?xml version="1.0" encoding="UTF-8"?>\n' + drawn.svg, content_type="image/svg+xml"
        )
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{_file_name(scenario, "svg")}"'
        return response


class RoadmapPdfView(View):
    """The same roadmap as a one-page PDF sized to the picture (WeasyPrint), with its title,
    lanes, zoom, filters and baseline written above it."""

    def get(self, request):
        # Imported on use: it loads Pango, which pages do not need.
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher

        scenario, baseline, options, drawn = build_roadmap(request)
        html = render(
            request,
            "planning/roadmap_pdf.html",
            {
                "scenario": scenario,
                "baseline": baseline,
                "svg": drawn.svg,
                "lane_label": roadmap.LANES[options["lane"]],
                "zoom": options["zoom"],
                "filters": ", ".join(f"{k} {v}" for k, v in options["filters"].items()),
                "today": timezone.localdate(),
                "page_width": max(drawn.width, 400) + 48,
                "page_height": drawn.height + 110,
            },
        ).content.decode()
        # No protocol allowed: the page is self-contained, and a document rendered on the server
        # must neither reach other hosts nor read local files (a refused URL is left out).
        pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        disposition = "attachment" if request.GET.get("download") else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="{_file_name(scenario, "pdf")}"'
        return response
