"""KPI catalogue and measurements: list, detail (trend, forecast), edit, import."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from portolan.core import charts
from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.core.roles import ADD, CHANGE, NONE, grant
from portolan.core.views import generic
from portolan.kpis import filters, forms, services, tables
from portolan.kpis.models import Kpi, Measurement


class KpiListView(generic.ObjectListView):
    model = Kpi
    filterset = filters.KpiFilterSet
    table = tables.KpiTable
    template_name = "kpis/kpi_list.html"
    default_sort = "code"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "team")

    def extra_context(self, request):
        return {"today": timezone.localdate()}


class KpiDetailView(generic.ObjectDetailView):
    model = Kpi
    template_name = "kpis/kpi_detail.html"

    def extra_context(self, request, obj):
        today = timezone.localdate()
        status = services.evaluate([obj], today, periods=24)[0]
        measurements = obj.measurements.select_related("entered_by").order_by("-period_start")[:200]
        return {
            "status": status,
            "today": today,
            "measurements": measurements,
            "trend_spec": charts.kpi_trend(status.series, obj.target, obj.amber, obj.red, obj.unit),
            "can_record": obj.user_can(request.user, CHANGE),
            "tabs": [("overview", "Overview"), ("measurements", "Measurements"), ("history", "History")],
        }


class KpiEditView(generic.ObjectEditView):
    model = Kpi
    form_class = forms.KpiForm


class KpiDeleteView(generic.ObjectDeleteView):
    model = Kpi


class MeasurementListView(generic.ObjectListView):
    model = Measurement
    filterset = filters.MeasurementFilterSet
    table = tables.MeasurementTable
    template_name = "kpis/measurement_list.html"
    default_sort = "-period"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("kpi", "entered_by")


class MeasurementEditView(generic.ObjectEditView):
    model = Measurement
    form_class = forms.MeasurementForm
    create_with = services.add_measurement
    update_with = services.update_measurement

    def form(self, request, obj, data=None):
        form = super().form(request, obj, data)
        form.fields["kpi"].queryset = Kpi.objects.restrict(request.user, CHANGE)
        return form


class MeasurementDeleteView(generic.ObjectDeleteView):
    model = Measurement

    def return_url(self, obj) -> str:
        return obj.get_absolute_url()


class MeasurementImportView(View):
    """Upload a CSV/XLSX of values: all rows are validated, then all are saved, or none."""

    template_name = "kpis/measurement_import.html"

    def dispatch(self, request, *args, **kwargs):
        if grant(request.user, ADD) == NONE:
            raise PermissionDenied("You may not record KPI values.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": forms.MeasurementImportForm()})

    def post(self, request):
        form = forms.MeasurementImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            ctx = ChangeContext.from_request(
                request, source=AuditEntry.Source.IMPORT, reason=f"import {upload.name}"
            )
            try:
                rows = services.parse_measurement_file(upload.name, upload.read())
                counts = services.import_measurements(ctx, rows)
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(
                    request,
                    f"Imported {counts['created']} new values and replaced {counts['replaced']} "
                    f"from {upload.name}.",
                )
                return HttpResponseRedirect(reverse("kpis:measurement_list"))
        return render(
            request, self.template_name, {"form": form, "errors": errors}, status=400 if errors else 200
        )
