"""Event logs: the list, the import wizard, and the analysis pages (process map, variants ...)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from portolan.core.audit import ChangeContext, history
from portolan.core.roles import VIEW
from portolan.core.views import generic
from portolan.operations import analysis, filters, forms, services, tables
from portolan.operations.analysis import CaseFilters, Window
from portolan.operations.models import EventLog

SESSION_KEY = "operations_eventlog_import"
UPLOAD_SLACK = 1 << 20  # multipart overhead allowed above MAX_UPLOAD_BYTES


class EventLogListView(generic.ObjectListView):
    model = EventLog
    filterset = filters.EventLogFilterSet
    table = tables.EventLogTable
    template_name = "operations/eventlog_list.html"
    default_sort = "-created"

    def get_queryset(self, request):
        return EventLog.objects.restrict(request.user, VIEW).select_related("team")


# ---------------------------------------------------------------- the import wizard


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@method_decorator(csrf_exempt, name="dispatch")
class EventLogImportView(View):
    """upload → mapping (preset or columns) → preview with bad rows → import (or reject).

    The CSRF check runs inside ``post`` (csrf_protect) after the request size is checked, so a
    1 GB upload is refused from its Content-Length without being read.
    """

    template_name = "operations/eventlog_import.html"

    def check(self, request):
        if not EventLog.user_can_add(request.user):
            raise PermissionDenied("You may not import event logs.")

    def render_step(self, request, step: str, status: int = 200, **context):
        context.setdefault("max_size_mb", settings.MAX_UPLOAD_BYTES // (1024 * 1024))
        return render(request, self.template_name, {"step": step, **context}, status=status)

    def get(self, request):
        self.check(request)
        if request.GET.get("restart"):
            self._discard(request)
        return self.render_step(request, "upload", form=forms.EventLogUploadForm(user=request.user))

    def post(self, request):
        self.check(request)
        if _content_length(request) > settings.MAX_UPLOAD_BYTES + UPLOAD_SLACK:
            form = forms.EventLogUploadForm(user=request.user)
            return self.render_step(
                request,
                "upload",
                status=413,
                form=form,
                error=forms.too_big_message(_content_length(request)),
            )
        return csrf_protect(self._post)(request)

    def _post(self, request):
        step = request.POST.get("step", "upload")
        if step == "upload":
            return self._upload(request)
        state = request.session.get(SESSION_KEY)
        if not state:
            messages.error(request, "This import has expired; upload the file again.")
            return HttpResponseRedirect(reverse("operations:eventlog_import"))
        if step == "mapping":
            return self._mapping(request, state)
        if step == "confirm":
            return self._confirm(request, state)
        return HttpResponseRedirect(reverse("operations:eventlog_import"))

    def _discard(self, request):
        state = request.session.pop(SESSION_KEY, None)
        if state:
            services.discard_staging(state["token"])

    def _upload(self, request):
        form = forms.EventLogUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            status = 413 if "upload limit" in str(form.errors.get("file", "")) else 200
            return self.render_step(request, "upload", form=form, status=status)
        self._discard(request)
        data = form.cleaned_data
        token, path = services.stage_upload(data["file"])
        options = {"separator": data["separator"] or "", "encoding": data["encoding"] or ""}
        try:
            columns = services.source_columns(path, options["separator"], options["encoding"])
        except services.ImportRefused as exc:
            services.discard_staging(token)
            return self.render_step(request, "upload", form=form, error=" ".join(exc.messages))
        state = {
            "token": token,
            "name": data["name"],
            "team": data["team"].pk if data["team"] else None,
            "options": options,
            "columns": columns,
            "file_name": data["file"].name,
            "preset": data["preset"],
        }
        request.session[SESSION_KEY] = state
        if data["preset"]:
            return self._preview(request, state, {"preset": data["preset"]})
        return self.render_step(
            request, "mapping", state=state, form=forms.EventLogMappingForm(columns=columns)
        )

    def _mapping(self, request, state):
        form = forms.EventLogMappingForm(request.POST, columns=state["columns"])
        if not form.is_valid():
            return self.render_step(request, "mapping", state=state, form=form)
        return self._preview(request, state, form.mapping_data(), form)

    def _preview(self, request, state, data, form=None):
        form = form or forms.EventLogMappingForm(columns=state["columns"])
        try:
            mapping, preset = services.mapping_from(data)
            report = services.preview_eventlog(state["token"], mapping, state["options"])
        except services.ImportRefused as exc:
            return self.render_step(
                request,
                "mapping",
                state=state,
                form=form,
                error=" ".join(exc.messages),
                tried_preset=data.get("preset", ""),
            )
        state.update(mapping=data, preset=preset, report=report)
        request.session[SESSION_KEY] = state
        return self.render_step(request, "preview", state=state, report=report)

    def _confirm(self, request, state):
        form = forms.ConfirmForm(request.POST)
        if not form.is_valid() or "report" not in state:
            return self.render_step(request, "preview", state=state, report=state.get("report", {}))
        team = None
        if state["team"]:
            team = forms.team_choices(request.user).filter(pk=state["team"]).first()
        mapping, preset = services.mapping_from(state["mapping"])
        try:
            log = services.import_staged(
                ChangeContext.from_request(request),
                state["token"],
                name=state["name"],
                mapping=mapping,
                preset=preset,
                report=state["report"],
                on_bad_rows=form.cleaned_data["on_bad_rows"],
                team=team,
            )
        except services.ImportRefused as exc:
            request.session.pop(SESSION_KEY, None)
            messages.warning(request, " ".join(exc.messages))
            return HttpResponseRedirect(reverse("operations:eventlog_import"))
        request.session.pop(SESSION_KEY, None)
        quarantined = f"; {log.bad_rows:,} bad rows quarantined" if log.bad_rows else ""
        messages.success(
            request,
            f"Imported {log.name}: {log.events:,} events, {log.cases:,} cases{quarantined}; "
            f"{log.findings.count()} findings.",
        )
        return HttpResponseRedirect(log.get_absolute_url())


# ---------------------------------------------------------------- the analysis pages


def window_of(request) -> tuple[Window, forms.WindowForm]:
    form = forms.WindowForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return Window(form.cleaned_data.get("start"), form.cleaned_data.get("end")), form
    return Window(), form


TABS = (
    ("overview", "Overview", "operations:eventlog_detail"),
    ("map", "Process map", "operations:eventlog_map"),
    ("variants", "Variants", "operations:eventlog_variants"),
    ("bottlenecks", "Bottlenecks", "operations:eventlog_bottlenecks"),
    ("sla", "SLA", "operations:eventlog_sla"),
    ("workload", "Workload", "operations:eventlog_workload"),
)
FILTER_KEYS = ("start", "end", "attr", "variant")


def query_without(params, *drop: str | tuple[str, str]) -> str:
    """The query string of ``params`` (a QueryDict) without some keys or (key, value) pairs, nor ``page``."""
    pairs = [
        (k, v)
        for k, values in params.lists()
        for v in values
        if k != "page" and k not in drop and (k, v) not in drop
    ]
    return f"?{urlencode(pairs)}" if pairs else "?"


def _short(activities: list[str], keep: int = 4) -> str:
    shown = " → ".join(activities[:keep])
    return shown + (f" → … ({len(activities)} steps)" if len(activities) > keep else "")


def filters_of(request, log) -> dict:
    """The case filters in the URL (through ``analysis.log_filters``) and how to show them.

    Returns the filters, the window form, messages about unusable filters, removable chips and
    the hidden inputs that carry the other filters through the filter forms.
    """
    window, window_form = window_of(request)
    params = request.GET
    filters, errors = analysis.log_filters(
        log, window, params.getlist("attr"), params.get("variant", "").strip()
    )
    chips = []
    if window.start or window.end:
        chips.append(
            {
                "label": f"Cases started {window.start or 'from the start'} → {window.end or 'the end'}",
                "remove": query_without(params, "start", "end"),
            }
        )
    columns = analysis.filter_columns(log.mapping)
    names = {c: n for n, c in columns.items()}
    aliases = {**columns, "group": "group", "resource": "resource"}
    texts: dict[tuple[str, str], list[str]] = {}  # (column, value) -> its spellings in the URL
    for text in params.getlist("attr"):
        if (pair := analysis.split_filter(text, aliases)) and pair[0] in aliases:
            texts.setdefault((aliases[pair[0]], pair[1]), []).append(text)
    for column, values in filters.attributes:
        for value in values:
            spellings = [("attr", t) for t in texts.get((column, value), [])]
            chips.append({"label": f"{names[column]}: {value}", "remove": query_without(params, *spellings)})
    if filters.variant is not None:
        chips.append(
            {
                "label": f"Variant {analysis.variant_id(filters.variant)}: {_short(list(filters.variant))}",
                "remove": query_without(params, "variant"),
            }
        )
    valid = [("start", str(window.start))] if window.start else []
    valid += [("end", str(window.end))] if window.end else []
    valid += [("attr", f"{names[c]}:{v}") for c, values in filters.attributes for v in values]
    valid += [("variant", analysis.variant_id(filters.variant))] if filters.variant is not None else []
    others = [(k, v) for k, values in params.lists() for v in values if k not in FILTER_KEYS and k != "page"]
    return {
        "filters": filters,
        "window": window,
        "window_form": window_form,
        "filter_errors": errors,
        "filter_chips": chips,
        "valid_query": f"?{urlencode(valid + others)}" if valid or others else "?",
        "clear_query": f"?{urlencode(others)}" if others else "?",
        "hidden_except_window": [
            (k, v) for k, values in params.lists() for v in values if k not in ("start", "end", "page")
        ],
        "hidden_all": [(k, v) for k, values in params.lists() for v in values if k != "page"],
        "filter_options": analysis.filter_options(log),
    }


class EventLogPageView(View):
    """A tab of an event log: the cached page data for the case filters in the URL.

    Every tab reads the same filters (time window, attribute values, variant; see
    ``portolan.operations.analysis``) and its links keep them, so a filtered view is one link.
    """

    tab = "overview"
    page = "analysis"
    template_name = "operations/eventlog_detail.html"

    def extra(self, request, log, data, filters: CaseFilters) -> dict:
        return {}

    def get(self, request, pk):
        log = generic.get_restricted(EventLog, request.user, VIEW, pk=pk)
        context = filters_of(request, log)
        filters = context["filters"]
        data = analysis.page_data(log, self.page, filters)
        query = query_without(request.GET)
        query = "" if query == "?" else query
        context.update(
            {
                "object": log,
                "tab": self.tab,
                "tabs": [(key, label, reverse(name, args=[log.pk]) + query) for key, label, name in TABS],
                "query": query,
                "data": data,
                "can_delete": log.user_can(request.user, "delete"),
                **self.extra(request, log, data, filters),
            }
        )
        return render(request, self.template_name, context)


class EventLogDetailView(EventLogPageView):
    def extra(self, request, log, data, filters):
        durations = data.get("case_duration_seconds") or {}
        return {
            "median_hours": (durations.get("median") or 0) / 3600,
            "p90_hours": (durations.get("p90") or 0) / 3600,
            "findings": log.findings.select_related("initiative")[:20],
            "history": history(log)[:50],
        }


def process_graph(data: dict) -> dict:
    """Nodes (with a left-to-right layer: hops from the start activities) and edges for processmap.js."""
    activities = data.get("activities", {})
    dfg, perf = (
        data.get("dfg", []),
        {(a, b): (mean, median) for a, b, mean, median in data.get("performance_dfg", [])},
    )
    starts = data.get("start_activities", {})
    ends = data.get("end_activities", {})
    succ: dict[str, list[str]] = {}
    for a, b, n in sorted(dfg, key=lambda e: -e[2]):
        succ.setdefault(a, []).append((b, n))
    # Seeds: the activities that start at least a tenth of the cases (always the top one); then
    # breadth-first along transitions used by at least 0.5 % of cases, the most frequent first.
    total_starts = sum(starts.values()) or 1
    seeds = [a for a in sorted(starts, key=lambda a: -starts[a]) if starts[a] >= total_starts / 10]
    seeds = seeds or sorted(starts, key=lambda a: -starts[a])[:1]
    significant = max(1, int(data.get("cases", 0) * 0.005))
    layer = dict.fromkeys(seeds, 0)
    frontier = seeds
    while frontier:
        nxt = []
        for a in frontier:
            for b, n in succ.get(a, []):
                if b not in layer and n >= significant:
                    layer[b] = layer[a] + 1
                    nxt.append(b)
        frontier = nxt
    deepest = max(layer.values(), default=0)
    nodes = [
        {
            "id": a,
            "count": n,
            "layer": layer.get(a, deepest + 1),
            "start": starts.get(a, 0),
            "end": ends.get(a, 0),
        }
        for a, n in activities.items()
    ]
    edges = [
        {
            "from": a,
            "to": b,
            "count": n,
            "mean_s": perf.get((a, b), (None, None))[0],
            "median_s": perf.get((a, b), (None, None))[1],
        }
        for a, b, n in dfg
    ]
    return {"nodes": nodes, "edges": edges, "cases": data.get("cases", 0)}


class EventLogMapView(EventLogPageView):
    tab = "map"
    template_name = "operations/eventlog_map.html"

    def extra(self, request, log, data, filters):
        return {"graph": process_graph(data), "mode": request.GET.get("mode", "frequency")}


class EventLogVariantsView(EventLogPageView):
    tab = "variants"
    template_name = "operations/eventlog_variants.html"

    def extra(self, request, log, data, filters):
        variants = data.get("variants", [])
        page, per_page = generic.paginate(request, variants, default=25)
        overview = reverse("operations:eventlog_detail", args=[log.pk])
        rest = query_without(request.GET, "variant")
        for v in page:
            v["id"] = analysis.variant_id(v["activities"])
            v["filter_url"] = f"{overview}{rest}{'&' if rest != '?' else ''}{urlencode({'variant': v['id']})}"
        return {"variants": page, "page": page, "per_page": per_page, "page_sizes": generic.PAGE_SIZES}


class EventLogBottlenecksView(EventLogPageView):
    tab = "bottlenecks"
    page = "bottlenecks"
    template_name = "operations/eventlog_bottlenecks.html"


class EventLogSlaView(EventLogPageView):
    tab = "sla"
    page = "sla"
    template_name = "operations/eventlog_sla.html"


class EventLogWorkloadView(EventLogPageView):
    tab = "workload"
    page = "workload"
    template_name = "operations/eventlog_workload.html"


class EventLogDeleteView(generic.ObjectDeleteView):
    model = EventLog
    remove = services.delete_eventlog
