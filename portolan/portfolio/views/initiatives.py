"""Initiatives: the filtered list with bulk edit, the tabbed detail page, the forms."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views import View

from portolan.core.audit import ChangeContext
from portolan.core.roles import CHANGE, NONE, grant
from portolan.core.views import generic
from portolan.portfolio import filters, forms, services, tables
from portolan.portfolio.models import Dependency, Initiative, Tag


def initiative_list_queryset(user):
    return (
        Initiative.objects.restrict(user)
        .annotate(budget_sum=F("budget_capex") + F("budget_opex"))
        .select_related("team", "owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    )


class InitiativeListView(generic.ObjectListView):
    model = Initiative
    filterset = filters.InitiativeFilterSet
    table = tables.InitiativeTable
    template_name = "portfolio/initiative_list.html"
    default_sort = "key"

    def get_queryset(self, request):
        return initiative_list_queryset(request.user)

    def extra_context(self, request):
        can_bulk = grant(request.user, CHANGE) != NONE
        return {"bulk_form": forms.BulkEditForm() if can_bulk else None, "query": request.GET.urlencode()}


class InitiativeBulkEditView(View):
    """Apply stage/owner/tags to the selected initiatives; all or nothing."""

    def post(self, request):
        if grant(request.user, CHANGE) == NONE:
            raise PermissionDenied("You may not edit initiatives.")
        form = forms.BulkEditForm(request.POST)
        back = generic.safe_next(request, reverse("portfolio:initiative_list"))
        pks = [int(pk) for pk in request.POST.getlist("pk") if pk.isdigit()]
        selected = list(Initiative.objects.restrict(request.user, CHANGE).filter(pk__in=pks))
        if not pks:
            messages.error(request, "Select at least one initiative.")
        elif len(selected) != len(set(pks)):
            messages.error(request, "Some selected initiatives are not yours to edit; nothing was changed.")
        elif not form.is_valid() or not form.changes():
            messages.error(request, "Choose a stage, an owner or tags to apply.")
        else:
            ctx = ChangeContext.from_request(request, reason=form.cleaned_data.get("reason", ""))
            try:
                done = services.bulk_update(ctx, selected, form.changes())
            except ValidationError as exc:
                messages.error(request, "Nothing was changed: " + " ".join(exc.messages))
            else:
                messages.success(request, f"Updated {len(done)} initiatives.")
        return HttpResponseRedirect(back)


class InitiativeDetailView(generic.ObjectDetailView):
    model = Initiative
    template_name = "portfolio/initiative_detail.html"

    def extra_context(self, request, obj):
        deps = Dependency.objects.select_related("predecessor", "successor")
        return {
            "predecessors": deps.filter(successor=obj),
            "successors": deps.filter(predecessor=obj),
            "milestones": obj.milestones.all(),
            "raci": obj.raci.select_related("user", "team"),
            "status_updates": obj.status_updates.select_related("author")[:100],
            "objective_links": obj.objective_links.select_related("objective"),
            "efforts": obj.efforts.select_related("team"),
            "children": obj.children.select_related("team").order_by("key"),
            "stage_form": forms.StageForm(initial={"stage": obj.stage}),
            "allowed_stages": [Initiative.Stage(s) for s in services.allowed_stages(obj)],
            "tabs": [
                ("overview", "Overview"),
                ("dependencies", "Dependencies"),
                ("milestones", "Milestones"),
                ("raci", "RACI"),
                ("status", "Status history"),
                ("history", "History"),
            ],
        }


class InitiativeEditView(generic.ObjectEditView):
    model = Initiative
    form_class = forms.InitiativeForm
    create_with = services.create_initiative
    update_with = services.update_initiative


class InitiativeDeleteView(generic.ObjectDeleteView):
    model = Initiative


class InitiativeStageView(View):
    def post(self, request, pk):
        initiative = generic.get_restricted(Initiative, request.user, CHANGE, pk=pk)
        form = forms.StageForm(request.POST)
        if form.is_valid():
            try:
                services.change_stage(
                    ChangeContext.from_request(request),
                    initiative,
                    form.cleaned_data["stage"],
                    form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"{initiative.key} is now {initiative.get_stage_display()}.")
        else:
            messages.error(request, "Choose a valid stage.")
        return HttpResponseRedirect(initiative.get_absolute_url())


class InitiativeBaselineView(View):
    def post(self, request, pk):
        initiative = generic.get_restricted(Initiative, request.user, CHANGE, pk=pk)
        services.capture_baseline(ChangeContext.from_request(request), initiative)
        messages.success(request, f"Baseline of {initiative.key} set to its planned dates.")
        return HttpResponseRedirect(initiative.get_absolute_url())
