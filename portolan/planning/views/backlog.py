"""Backlog & scoring: the ranked backlog with explanations, planning inputs, rank overrides."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from portolan.core.audit import ChangeContext
from portolan.core.roles import CHANGE, VIEW, is_manager
from portolan.core.views import generic
from portolan.planning import forms, scoring, services
from portolan.planning.models import PlanningInput, ScoringModel, SelectionRule
from portolan.portfolio.models import Initiative


class BacklogView(View):
    def get(self, request):
        models = list(ScoringModel.objects.restrict(request.user, VIEW))
        chosen = next((m for m in models if str(m.pk) == request.GET.get("model")), None)
        chosen = chosen or services.default_scoring_model()
        initiatives = scoring.backlog_queryset(Initiative.objects.restrict(request.user, VIEW))
        try:
            ranked, unscored = scoring.ranked_backlog(initiatives, chosen)
            error = ""
        except ValueError as exc:  # a scoring model whose criteria no longer validate
            ranked, unscored, error = [], [], f"The scoring model {chosen} cannot score: {exc}"
        editable = set(Initiative.objects.restrict(request.user, CHANGE).values_list("pk", flat=True))
        context = {
            "models": models,
            "chosen": chosen,
            "ranked": ranked,
            "unscored": unscored,
            "error": error,
            "editable": editable,
            "rank_form": forms.RankForm(),
            "can_manage": is_manager(request.user),
            "rules": SelectionRule.objects.select_related("initiative", "other")[:200],
        }
        return render(request, "planning/backlog.html", context)


class PlanningInputEditView(View):
    """Planning inputs of one initiative (its owners and the portfolio office may edit)."""

    def get_initiative(self, request, pk):
        return generic.get_restricted(Initiative, request.user, CHANGE, pk=pk)

    def render_form(self, request, initiative, form):
        return render(request, "planning/planninginput_edit.html", {"initiative": initiative, "form": form})

    def get(self, request, pk):
        initiative = self.get_initiative(request, pk)
        instance = PlanningInput.objects.filter(initiative=initiative).first()
        return self.render_form(
            request, initiative, forms.PlanningInputForm(instance=instance, user=request.user)
        )

    def post(self, request, pk):
        initiative = self.get_initiative(request, pk)
        instance = PlanningInput.objects.filter(initiative=initiative).first() or PlanningInput(
            initiative=initiative
        )
        form = forms.PlanningInputForm(request.POST, instance=instance, user=request.user)
        if form.is_valid():
            try:
                services.save_planning_input(
                    ChangeContext.from_request(request), initiative, form.cleaned_for_service()
                )
            except ValidationError as exc:
                generic.apply_form_errors(form, exc)
            else:
                messages.success(request, f"Saved the planning inputs of {initiative.key}.")
                return HttpResponseRedirect(generic.safe_next(request, reverse("planning:backlog")))
        return self.render_form(request, initiative, form)


class RankView(View):
    """POST: override (or clear) the backlog rank of an initiative, with a reason (audited)."""

    def post(self, request, pk):
        initiative = generic.get_restricted(Initiative, request.user, CHANGE, pk=pk)
        form = forms.RankForm(request.POST)
        back = generic.safe_next(request, reverse("planning:backlog"))
        if not form.is_valid():
            messages.error(request, "Give a rank of 1 or more (or none to clear it) and a reason.")
            return HttpResponseRedirect(back)
        try:
            services.set_manual_rank(
                ChangeContext.from_request(request),
                initiative,
                form.cleaned_data["manual_rank"],
                form.cleaned_data["rank_reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            rank = form.cleaned_data["manual_rank"]
            messages.success(
                request,
                f"{initiative.key} is now ranked {rank}."
                if rank
                else f"Cleared the rank of {initiative.key}.",
            )
        return HttpResponseRedirect(back)


class ScoringModelEditView(generic.ObjectEditView):
    model = ScoringModel
    form_class = forms.ScoringModelForm
    save = services.save_scoring_model


class SelectionRuleEditView(generic.ObjectEditView):
    model = SelectionRule
    form_class = forms.SelectionRuleForm

    def persist(self, ctx, obj, data):
        return services.add_selection_rule(ctx, data)

    def default_return(self, obj) -> str:
        return reverse("planning:backlog")


class SelectionRuleDeleteView(generic.ObjectDeleteView):
    model = SelectionRule
    remove = services.remove_selection_rule

    def return_url(self, obj) -> str:
        return reverse("planning:backlog")
