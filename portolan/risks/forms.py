from django import forms

from portolan.core.forms import PortolanModelForm
from portolan.core.roles import CHANGE
from portolan.risks.models import DurationEstimate, MitigationAction, Risk

SCORE_CHOICES = [("", "—"), *[(i, str(i)) for i in range(1, 6)]]


class RiskForm(PortolanModelForm):
    class Meta:
        model = Risk
        fields = [
            "key",
            "title",
            "category",
            "cause",
            "event",
            "effect",
            "probability",
            "impact",
            "residual_probability",
            "residual_impact",
            "owner",
            "team",
            "response",
            "status",
            "proximity",
            "review_date",
            "initiatives",
            "objectives",
            "schedule_delay_min",
            "schedule_delay_likely",
            "schedule_delay_max",
        ]
        widgets = {
            "cause": forms.Textarea(attrs={"rows": 2}),
            "event": forms.Textarea(attrs={"rows": 2}),
            "effect": forms.Textarea(attrs={"rows": 2}),
            "review_date": forms.DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("probability", "impact", "residual_probability", "residual_impact"):
            self.fields[name].widget.attrs.update({"min": 1, "max": 5})
        if not self.instance.pk and self.user is not None and not self.initial.get("owner"):
            self.fields["owner"].initial = self.user.pk
            team = self.user.teams.first() if self.user.is_authenticated else None
            if team is not None:
                self.fields["team"].initial = team.pk


class MitigationActionForm(PortolanModelForm):
    class Meta:
        model = MitigationAction
        fields = ["risk", "title", "owner", "due_date", "status", "expected_effect", "completed_date"]
        widgets = {
            "expected_effect": forms.Textarea(attrs={"rows": 2}),
            "due_date": forms.DateInput(),
            "completed_date": forms.DateInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk"].queryset = Risk.objects.restrict(self.user, CHANGE)
        if not self.instance.pk and self.user is not None and not self.initial.get("owner"):
            self.fields["owner"].initial = self.user.pk


class DurationEstimateForm(PortolanModelForm):
    class Meta:
        model = DurationEstimate
        fields = ["initiative", "optimistic_days", "most_likely_days", "pessimistic_days", "note"]


class MonteCarloForm(forms.Form):
    seed = forms.IntegerField(
        initial=42, min_value=0, max_value=2**31 - 1, help_text="Same seed, same result."
    )
    iterations = forms.IntegerField(initial=2000, min_value=100, max_value=50_000)
