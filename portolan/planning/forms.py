from django import forms

from portolan.core.forms import PortolanModelForm
from portolan.planning.models import Baseline, PlanningInput, Scenario, ScoringModel, SelectionRule

JSON_ROWS = {"rows": 3, "class": "font-monospace"}


class PlanningInputForm(PortolanModelForm):
    class Meta:
        model = PlanningInput
        fields = [
            "business_value",
            "time_criticality",
            "risk_reduction",
            "job_size",
            "criteria",
            "mandatory",
            "mandatory_reason",
            "duration_months",
            "earliest_start",
            "deadline",
            "fixed_start",
        ]
        widgets = {
            "criteria": forms.Textarea(attrs=JSON_ROWS),
            "earliest_start": forms.DateInput(),
            "deadline": forms.DateInput(),
            "fixed_start": forms.DateInput(),
        }


class RankForm(forms.Form):
    manual_rank = forms.IntegerField(min_value=1, required=False, help_text="Empty clears the override.")
    rank_reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ScoringModelForm(PortolanModelForm):
    class Meta:
        model = ScoringModel
        fields = ["name", "kind", "criteria", "is_default", "description"]
        widgets = {"criteria": forms.Textarea(attrs={"rows": 6, "class": "font-monospace"})}


class SelectionRuleForm(PortolanModelForm):
    class Meta:
        model = SelectionRule
        fields = ["initiative", "kind", "other", "note"]


class ScenarioForm(PortolanModelForm):
    class Meta:
        model = Scenario
        fields = [
            "name",
            "description",
            "based_on",
            "scoring_model",
            "start",
            "horizon_months",
            "budgets",
            "capacity_factors",
            "forced_in",
            "forced_out",
            "date_overrides",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "start": forms.DateInput(),
            "budgets": forms.Textarea(attrs=JSON_ROWS),
            "capacity_factors": forms.Textarea(attrs=JSON_ROWS),
            "date_overrides": forms.Textarea(attrs=JSON_ROWS),
            "forced_in": forms.SelectMultiple(attrs={"size": 6}),
            "forced_out": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "based_on"
        ].help_text = "Copies budgets, capacity, forced items and dates (default: the plan of record)."
        if self.instance.pk:
            del self.fields["based_on"]
            for name in ("forced_in", "forced_out"):
                self.fields[name].queryset = (
                    self.fields[name].queryset.exclude(kind="program").order_by("key")
                )
        else:
            # A new scenario copies its inputs from the one it is based on; change them next.
            for name in self.COPIED:
                del self.fields[name]

    COPIED = (
        "start",
        "horizon_months",
        "budgets",
        "capacity_factors",
        "forced_in",
        "forced_out",
        "date_overrides",
    )


class BaselineForm(PortolanModelForm):
    class Meta:
        model = Baseline
        fields = ["name", "date", "scenario", "note"]
        widgets = {"date": forms.DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].required = False
        self.fields["scenario"].help_text = "Whose dates to freeze (default: the plan of record)."

    def cleaned_for_service(self) -> dict:
        data = super().cleaned_for_service()
        return {k: v for k, v in data.items() if v not in (None, "")}
