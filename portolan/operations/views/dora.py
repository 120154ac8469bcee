"""DORA: the dashboard of a delivery data set (four keys, bands, trends) and its import."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from portolan.core import charts
from portolan.core.audit import ChangeContext, history
from portolan.core.roles import VIEW
from portolan.core.views import generic
from portolan.engine import dora
from portolan.operations import analysis, forms, services
from portolan.operations.models import DeliveryDataset
from portolan.operations.views.eventlogs import window_of

METRICS = (
    ("deployment_frequency", "Deployment frequency", "deploys/week", ",.1f"),
    ("lead_time_for_changes", "Lead time for changes (median)", "hours", ",.1f"),
    ("change_failure_rate", "Change failure rate", "%", ",.1f"),
    ("time_to_restore", "Time to restore (median)", "hours", ",.1f"),
)
EVERY = ("month", "quarter", "week")


def trend_spec(periods: list[dict], metric: str, unit: str, extra: str | None = None) -> dict:
    """A neutral line of one metric per period (P90 dashed beside the median lead time)."""
    values = [
        {"period": p["period"], "value": p[metric], "series": "median" if extra else metric} for p in periods
    ]
    if extra:
        values += [{"period": p["period"], "value": p[extra], "series": "P90"} for p in periods]
    values = [v for v in values if v["value"] is not None]
    return {
        "$schema": charts.SCHEMA,
        "width": "container",
        "height": 160,
        "data": {"values": values},
        "mark": {"type": "line", "point": len(periods) <= 40},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "title": None, "axis": {"labelOverlap": True}},
            "y": {"field": "value", "type": "quantitative", "title": unit},
            "color": {"field": "series", "type": "nominal", "legend": {"title": None} if extra else None},
            "strokeDash": {"field": "series", "type": "nominal", "legend": None},
            "tooltip": [{"field": "period"}, {"field": "series"}, {"field": "value", "format": ",.2f"}],
        },
        "config": {"view": {"stroke": None}},
    }


class DoraView(View):
    """The DORA dashboard: the latest data set (or the one in the URL) and the list of data sets."""

    def get(self, request, pk=None):
        datasets = DeliveryDataset.objects.restrict(request.user, VIEW).select_related("team")
        dataset = (
            generic.get_restricted(DeliveryDataset, request.user, VIEW, pk=pk) if pk else datasets.first()
        )
        context = {
            "datasets": datasets[:50],
            "dataset": dataset,
            "can_add": DeliveryDataset.user_can_add(request.user),
            "bands": dora.BANDS,
        }
        if dataset is not None:
            window, window_form = window_of(request)
            every = request.GET.get("every", "month")
            every = every if every in EVERY else "month"
            metrics = analysis.dora_metrics(dataset, every, window)
            overall = metrics["overall"]
            periods = metrics["periods"]
            tiles = [
                {
                    "metric": key,
                    "label": label,
                    "unit": unit,
                    "value": overall.get(key),
                    "band": overall["bands"].get(key),
                }
                for key, label, unit, _ in METRICS
            ]
            charts_ = [
                {
                    "id": f"trend-{key}",
                    "label": f"{label} per {every}",
                    "spec": trend_spec(
                        periods, key, unit, "lead_time_p90" if key == "lead_time_for_changes" else None
                    ),
                }
                for key, label, unit, _ in METRICS
            ]
            context.update(
                metrics=metrics,
                overall=overall,
                tiles=tiles,
                charts=charts_,
                periods=list(reversed(periods))[:60],
                every=every,
                everies=EVERY,
                window_form=window_form,
                can_delete=dataset.user_can(request.user, "delete"),
                history=history(dataset)[:20],
                kpi_values=services.dora_measurements(dataset, "month", 3),
            )
        return render(request, "operations/dora.html", context)


class DoraImportView(View):
    template_name = "operations/dora_import.html"

    def check(self, request):
        if not DeliveryDataset.user_can_add(request.user):
            raise PermissionDenied("You may not import delivery data.")

    def get(self, request):
        self.check(request)
        return render(request, self.template_name, {"form": forms.DeliveryImportForm(user=request.user)})

    def post(self, request):
        self.check(request)
        form = forms.DeliveryImportForm(request.POST, request.FILES, user=request.user)
        error = None
        if form.is_valid():
            data = form.cleaned_data
            try:
                mapping, preset = services.delivery_mapping_from(data)
                with tempfile.TemporaryDirectory(prefix="portolan-dora-") as tmp:
                    paths = {}
                    for name in ("deployments", "changes", "incidents"):
                        upload = data.get(name)
                        if upload is None:
                            continue
                        dest = Path(tmp) / f"{name}-{Path(upload.name).name}"
                        with open(dest, "wb") as out:
                            for chunk in upload.chunks():
                                out.write(chunk)
                        paths[name] = dest
                    dataset = services.import_delivery(
                        ChangeContext.from_request(request),
                        paths["deployments"],
                        changes=paths.get("changes"),
                        incidents=paths.get("incidents"),
                        name=data["name"],
                        mapping=mapping,
                        preset=preset,
                        team=data["team"],
                        on_bad_rows="quarantine" if data["quarantine"] else "reject",
                        source_name=", ".join(p.name.split("-", 1)[1] for p in paths.values()),
                    )
            except services.ImportRefused as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, f"Imported {dataset.name}: {dataset.deployments:,} deployments.")
                return HttpResponseRedirect(dataset.get_absolute_url())
        return render(request, self.template_name, {"form": form, "error": error})


class DoraDeleteView(generic.ObjectDeleteView):
    model = DeliveryDataset
    remove = services.delete_delivery

    def return_url(self, obj):
        return reverse("operations:dora")
