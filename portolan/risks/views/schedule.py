"""Schedule risk: Monte Carlo over the portfolio's dependency network, and duration estimates."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from portolan.core import charts
from portolan.core.audit import ChangeContext
from portolan.core.roles import ADD, NONE, grant
from portolan.core.views import generic
from portolan.portfolio.models import Initiative
from portolan.risks import forms, services
from portolan.risks.models import DurationEstimate, Risk, ScheduleRiskRun


class MonteCarloView(View):
    """GET with seed/iterations simulates on the fly (nothing stored); without them it shows the
    stored reference run (what the dashboard shows). POST stores a new reference run."""

    def get(self, request):
        today = timezone.localdate()
        form = forms.MonteCarloForm(request.GET or None)
        run = ScheduleRiskRun.objects.order_by("-created", "-pk").first()
        result, error, stored = None, None, False
        if form.is_bound:
            if form.is_valid():
                try:
                    result = services.run_schedule_risk(
                        Initiative.objects.restrict(request.user),
                        Risk.objects.restrict(request.user),
                        today,
                        form.cleaned_data["seed"],
                        form.cleaned_data["iterations"],
                    )
                except ValidationError as exc:
                    error = " ".join(exc.messages)
        elif run is not None:
            result, stored = run.result, True
            form = forms.MonteCarloForm(initial={"seed": run.seed, "iterations": run.iterations})
        context = {
            "form": form,
            "result": result,
            "error": error,
            "run": run if stored else None,
            "today": today,
            "can_store": grant(request.user, ADD) != NONE,
            "estimates": DurationEstimate.objects.restrict(request.user).select_related("initiative")[:200],
        }
        if result:
            initiatives = [i for i in result["initiatives"] if not i["rollup"]]
            context.update(
                {
                    "initiatives": result["initiatives"][:100],
                    "milestones": result["milestones"][:100],
                    "tornado_spec": charts.tornado(result["tornado"]) if result["tornado"] else None,
                    "ranges_spec": charts.finish_ranges(
                        [
                            {**m, "key": f"{m['initiative']} {m['name']}"}
                            for m in result["milestones"]
                            if m["key_milestone"]
                        ][:25]
                    ),
                    "at_risk": sum(
                        1 for i in initiatives if i["probability"] is not None and i["probability"] < 0.5
                    ),
                }
            )
        return render(request, "risks/montecarlo.html", context)


class MonteCarloStoreView(View):
    """Store a simulation as the dashboard's reference run (any role that may write)."""

    def post(self, request):
        if grant(request.user, ADD) == NONE:
            raise PermissionDenied("You may not store simulation runs.")
        form = forms.MonteCarloForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give a seed and between 100 and 50,000 iterations.")
        else:
            try:
                run = services.store_schedule_risk(
                    ChangeContext.from_request(request),
                    timezone.localdate(),
                    form.cleaned_data["seed"],
                    form.cleaned_data["iterations"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"Stored {run}: the dashboard now shows its P80 dates.")
        return HttpResponseRedirect(reverse("risks:montecarlo"))


class DurationEstimateEditView(generic.ObjectEditView):
    model = DurationEstimate
    form_class = forms.DurationEstimateForm
    save = services.save_estimate


class DurationEstimateDeleteView(generic.ObjectDeleteView):
    model = DurationEstimate

    def return_url(self, obj) -> str:
        return reverse("risks:montecarlo")
