"""Findings: ranked by impact, the evidence cases, and "create improvement initiative"."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.views import View

from portolan.core.audit import ChangeContext, history
from portolan.core.roles import CHANGE, VIEW
from portolan.core.views import generic
from portolan.operations import analysis, filters, forms, services, tables
from portolan.operations.models import Finding
from portolan.portfolio.models import Initiative


class FindingListView(generic.ObjectListView):
    model = Finding
    filterset = filters.FindingFilterSet
    table = tables.FindingTable
    template_name = "operations/finding_list.html"
    default_sort = "-impact"

    def get_queryset(self, request):
        return Finding.objects.restrict(request.user, VIEW).select_related("eventlog", "initiative")


class FindingDetailView(generic.ObjectDetailView):
    model = Finding
    template_name = "operations/finding_detail.html"

    def extra_context(self, request, obj):
        cases = analysis.cases_events(obj.eventlog, list(obj.evidence_case_ids))
        can_change = obj.user_can(request.user, CHANGE)
        return {
            "evidence": cases,
            "can_improve": can_change and not obj.initiative_id and Initiative.user_can_add(request.user),
            "can_change": can_change,
            "history": history(obj)[:100],
            "details": {k: v for k, v in obj.details.items() if not isinstance(v, list | dict)},
        }


class FindingImproveView(View):
    """POST: turn the finding into an improvement initiative and open it."""

    def post(self, request, pk):
        finding = generic.get_restricted(Finding, request.user, CHANGE, pk=pk)
        if not Initiative.user_can_add(request.user):
            raise PermissionDenied("You may not create initiatives.")
        try:
            initiative = services.create_improvement(ChangeContext.from_request(request), finding)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return HttpResponseRedirect(finding.get_absolute_url())
        messages.success(
            request,
            f"Created improvement initiative {initiative.key} from this finding; "
            f"KPI to watch: {finding.kpi_code or '—'}.",
        )
        return HttpResponseRedirect(initiative.get_absolute_url())


class FindingStatusView(View):
    def post(self, request, pk):
        finding = generic.get_restricted(Finding, request.user, CHANGE, pk=pk)
        form = forms.FindingStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose to dismiss or reopen the finding.")
            return HttpResponseRedirect(finding.get_absolute_url())
        try:
            services.set_finding_status(
                ChangeContext.from_request(request),
                finding,
                form.cleaned_data["status"],
                form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"The finding is now {finding.get_status_display().lower()}.")
        return HttpResponseRedirect(finding.get_absolute_url())
