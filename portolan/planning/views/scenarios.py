"""Scenarios (list, detail, edit, solve, promote, compare), portfolio selection and baselines."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from portolan.core.audit import ChangeContext
from portolan.core.roles import CHANGE, VIEW, is_manager
from portolan.core.tables import Column, Table
from portolan.core.views import generic
from portolan.planning import charts, forms, services
from portolan.planning.models import Baseline, Scenario
from portolan.portfolio.models import Initiative


class ScenarioTable(Table):
    columns = (
        Column("name", "Scenario", "name", link=True),
        Column("is_plan_of_record", "Plan of record", "is_plan_of_record"),
        Column("status", "Status", "status"),
        Column("value", "Value"),
        Column("selected", "Selected"),
        Column("end", "Plan ends"),
        Column("solved_at", "Solved", "solved_at"),
    )

    def render_is_plan_of_record(self, obj):
        return "★ plan of record" if obj.is_plan_of_record else ""

    def render_status(self, obj):
        return obj.get_status_display()

    def render_value(self, obj):
        sel = (obj.results or {}).get("selection")
        return f"{sel['objective']:,.1f}" if sel else "—"

    def render_selected(self, obj):
        sel = (obj.results or {}).get("selection")
        return len(sel["selected"]) if sel else "—"

    def render_end(self, obj):
        schedule = (obj.results or {}).get("schedule")
        return schedule["end_label"] if schedule else "—"

    def render_solved_at(self, obj):
        return f"{timezone.localtime(obj.solved_at):%Y-%m-%d %H:%M}" if obj.solved_at else "—"


class ScenarioListView(generic.ObjectListView):
    model = Scenario
    table = ScenarioTable
    template_name = "planning/scenario_list.html"
    default_sort = ""

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-is_plan_of_record", "name")

    def extra_context(self, request):
        return {"can_add": is_manager(request.user)}


def _scenario(request, pk, action=VIEW) -> Scenario:
    return generic.get_restricted(Scenario, request.user, action, pk=pk)


def summary(scenario: Scenario) -> dict:
    """What the comparison and the detail page show about a scenario."""
    results = scenario.results or {}
    sel = results.get("selection") or {}
    schedule = results.get("schedule") or {}
    load = schedule.get("load", [])
    util: dict[str, list[float]] = {}
    for r in load:
        if r["capacity"]:
            util.setdefault(r["team"], []).append(r["demand"] / r["capacity"])
    costs = results.get("costs") or {}
    return {
        "scenario": scenario,
        "name": scenario.name,
        "value": sel.get("objective"),
        "cost": (costs.get("capex", 0) + costs.get("opex", 0)) if costs else None,
        "capex": costs.get("capex"),
        "opex": costs.get("opex"),
        "selected": sel.get("selected", []),
        "end": schedule.get("end_label"),
        "critical_chain": schedule.get("critical_chain", []),
        "utilisation": {t: round(100 * max(v), 0) for t, v in sorted(util.items())},
        "mean_utilisation": {t: round(100 * sum(v) / len(v), 0) for t, v in sorted(util.items())},
        "milestones": {
            f"{m['initiative']} · {m['name']}": m["projected"]
            for m in results.get("milestones", [])
            if m["key_milestone"]
        },
        "feasible": results.get("feasible"),
        "conflicts": results.get("conflicts", []),
    }


class ScenarioDetailView(generic.ObjectDetailView):
    model = Scenario
    template_name = "planning/scenario_detail.html"

    def extra_context(self, request, obj):
        results = obj.results or {}
        return {
            "results": results,
            "summary": summary(obj),
            "can_manage": is_manager(request.user),
            "others": Scenario.objects.restrict(request.user).exclude(pk=obj.pk),
            "forced_in": obj.forced_in.order_by("key"),
            "forced_out": obj.forced_out.order_by("key"),
            "selected_rows": _selection_rows(results),
        }


def _selection_rows(results: dict) -> tuple[list[dict], list[dict]]:
    sel = results.get("selection")
    if not sel:
        return [], []
    scores = results.get("scores", {})
    titles = dict(Initiative.objects.filter(key__in=scores).values_list("key", "title"))
    pks = dict(Initiative.objects.filter(key__in=scores).values_list("key", "pk"))
    forced = sel.get("forced", {})
    chosen = [
        {
            "key": k,
            "pk": pks.get(k),
            "title": titles.get(k, ""),
            "score": scores.get(k),
            "why": forced.get(k, "best value"),
        }
        for k in sel["selected"]
    ]
    left = [
        {
            "key": k,
            "pk": pks.get(k),
            "title": titles.get(k, ""),
            "score": scores.get(k),
            "why": "; ".join(sel["reasons_not_selected"].get(k, [])) or "lower value than the alternatives",
        }
        for k in sel["not_selected"]
    ]
    chosen.sort(key=lambda r: -(r["score"] or 0))
    left.sort(key=lambda r: -(r["score"] or 0))
    return chosen, left


class ScenarioEditView(generic.ObjectEditView):
    model = Scenario
    form_class = forms.ScenarioForm
    create_with = services.create_scenario
    update_with = services.update_scenario

    def get_object(self, request, pk):
        if not is_manager(request.user) and pk is None:
            raise PermissionDenied("Only portfolio managers and admins create scenarios.")
        return super().get_object(request, pk)

    def get_initial(self, request):
        initial = super().get_initial(request)
        plan = services.plan_of_record()
        if plan is not None and "based_on" not in initial:
            initial["based_on"] = plan.pk
        return initial


class ScenarioDeleteView(generic.ObjectDeleteView):
    model = Scenario
    remove = services.delete_scenario


class ScenarioSolveView(View):
    def post(self, request, pk):
        scenario = _scenario(request, pk, CHANGE)
        try:
            scenario = services.solve_scenario(ChangeContext.from_request(request), scenario)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if scenario.status == Scenario.Status.SOLVED:
                messages.success(request, f"Solved {scenario}.")
            else:
                messages.warning(request, f"{scenario} has no feasible plan: see the conflicts below.")
        return HttpResponseRedirect(scenario.get_absolute_url())


class ScenarioPromoteView(View):
    def post(self, request, pk):
        scenario = _scenario(request, pk, CHANGE)
        try:
            services.promote_scenario(
                ChangeContext.from_request(request), scenario, request.POST.get("reason", "")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"{scenario} is now the plan of record.")
        return HttpResponseRedirect(scenario.get_absolute_url())


class ScenarioCompareView(View):
    """Two or three scenarios side by side (``?s=1&s=2``); by default the plan of record and the latest."""

    def get(self, request):
        visible = Scenario.objects.restrict(request.user)
        ids = [int(v) for v in request.GET.getlist("s") if v.isdigit()][:3]
        chosen = list(visible.filter(pk__in=ids)) if ids else []
        chosen.sort(key=lambda s: ids.index(s.pk))
        if not chosen:
            plan = visible.filter(is_plan_of_record=True).first()
            latest = visible.exclude(is_plan_of_record=True).order_by("-updated").first()
            chosen = [s for s in (plan, latest) if s is not None]
        rows = [summary(s) for s in chosen]
        teams = sorted({t for r in rows for t in r["utilisation"]})
        milestones = sorted({k for r in rows for k in r["milestones"]})
        selected_sets = [set(r["selected"]) for r in rows]
        differences = (
            sorted(set().union(*selected_sets) - set.intersection(*selected_sets)) if selected_sets else []
        )
        context = {
            "rows": rows,
            "teams": teams,
            "milestones": milestones,
            "differences": differences,
            "all": visible.order_by("-is_plan_of_record", "name"),
            "slots": [s.pk for s in chosen] + [None] * (3 - len(chosen)),
            "value_spec": charts.compare_values(rows) if rows else None,
        }
        return render(request, "planning/scenario_compare.html", context)


def scenario_from_query(request) -> Scenario | None:
    visible = Scenario.objects.restrict(request.user)
    pk = request.GET.get("scenario", "")
    if pk.isdigit():
        found = visible.filter(pk=int(pk)).first()
        if found is not None:
            return found
    return visible.filter(is_plan_of_record=True).first()


class SelectionView(View):
    """Portfolio selection of a scenario (the plan of record by default): in/out, binding
    constraints, gain over greedy, the efficient frontier."""

    def get(self, request):
        scenario = scenario_from_query(request)
        results = (scenario.results if scenario else None) or {}
        sel = results.get("selection")
        frontier = results.get("frontier", [])
        chosen, left = _selection_rows(results)
        context = {
            "scenario": scenario,
            "scenarios": Scenario.objects.restrict(request.user),
            "results": results,
            "selection": sel,
            "chosen": chosen,
            "left": left,
            "frontier": frontier,
            "frontier_spec": charts.frontier(frontier, sel["budget_total"]) if sel and frontier else None,
            "can_manage": is_manager(request.user),
        }
        return render(request, "planning/selection.html", context)


class BaselineTable(Table):
    columns = (
        Column("name", "Baseline", "name", link=True),
        Column("date", "Date", "date"),
        Column("scenario", "From scenario", "scenario__name"),
        Column("count", "Initiatives"),
    )

    def render_count(self, obj):
        return len((obj.snapshot or {}).get("initiatives", {}))


class BaselineListView(generic.ObjectListView):
    model = Baseline
    table = BaselineTable
    default_sort = "-date"
    template_name = "planning/baseline_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("scenario")

    def extra_context(self, request):
        return {"can_add": is_manager(request.user)}


class BaselineDetailView(generic.ObjectDetailView):
    model = Baseline
    template_name = "planning/baseline_detail.html"

    def extra_context(self, request, obj):
        var = services.variance(obj)
        pks = dict(Initiative.objects.values_list("key", "pk"))
        for row in var["initiatives"]:
            row["pk"] = pks.get(row["key"])
        slipped = [r for r in var["initiatives"] if (r["slip_days"] or 0) > 0]
        return {
            "variance": var,
            "slipped": len(slipped),
            "slipped_milestones": sum(1 for r in var["milestones"] if (r["slip_days"] or 0) > 0),
            "plan": services.plan_of_record(),
            "can_change": False,
            "edit_url": None,
        }


class BaselineEditView(generic.ObjectEditView):
    model = Baseline
    form_class = forms.BaselineForm

    def persist(self, ctx, obj, data):
        return services.capture_baseline(ctx, data)

    def get_object(self, request, pk):
        if not is_manager(request.user):
            raise PermissionDenied("Only portfolio managers and admins capture baselines.")
        return super().get_object(request, pk)


class BaselineDeleteView(generic.ObjectDeleteView):
    model = Baseline
    remove = services.delete_baseline

    def return_url(self, obj) -> str:
        return reverse("planning:baseline_list")
