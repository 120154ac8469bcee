from django import forms

from portolan.core.forms import PortolanModelForm
from portolan.kpis.models import Kpi, Measurement


class KpiForm(PortolanModelForm):
    class Meta:
        model = Kpi
        fields = [
            "code",
            "name",
            "category",
            "description",
            "formula",
            "unit",
            "direction",
            "target",
            "amber",
            "red",
            "frequency",
            "owner",
            "team",
            "source",
            "reference",
            "on_dashboard",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "formula": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and self.user is not None and not self.initial.get("owner"):
            self.fields["owner"].initial = self.user.pk
            team = self.user.teams.first() if self.user.is_authenticated else None
            if team is not None:
                self.fields["team"].initial = team.pk


class MeasurementForm(PortolanModelForm):
    class Meta:
        model = Measurement
        fields = ["kpi", "period", "value", "note"]


class MeasurementImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX with the columns kpi, period, value and optionally note.")
