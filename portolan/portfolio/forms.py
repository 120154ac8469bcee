from django import forms
from django.contrib.auth import get_user_model

from portolan.core.forms import PortolanModelForm
from portolan.portfolio.models import (
    Dependency,
    Effort,
    Initiative,
    Milestone,
    Objective,
    ObjectiveLink,
    RaciAssignment,
    Service,
    StatusUpdate,
    Team,
)


class ObjectiveForm(PortolanModelForm):
    class Meta:
        model = Objective
        fields = ["code", "name", "parent", "weight", "description"]


class TeamForm(PortolanModelForm):
    class Meta:
        model = Team
        fields = ["code", "name", "capacity_pd_per_month", "lead", "members", "description"]


class ServiceForm(PortolanModelForm):
    class Meta:
        model = Service
        fields = ["code", "name", "kind", "owner_team", "criticality", "description"]


class InitiativeForm(PortolanModelForm):
    tags = forms.CharField(required=False, help_text="Comma-separated, e.g. network, datacenter-exit")

    class Meta:
        model = Initiative
        fields = [
            "key",
            "title",
            "kind",
            "parent",
            "owner",
            "team",
            "description",
            "planned_start",
            "planned_finish",
            "baseline_start",
            "baseline_finish",
            "actual_start",
            "actual_finish",
            "budget_capex",
            "budget_opex",
            "forecast_cost",
            "actual_cost",
            "progress",
            "services",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = self.fields["parent"].queryset.filter(kind=Initiative.Kind.PROGRAM)
        self.fields["parent"].help_text = "The program this project belongs to."
        if self.instance.pk:
            self.fields["tags"].initial = ", ".join(t.name for t in self.instance.tags.all())
        elif self.user is not None and not self.initial.get("owner"):
            self.fields["owner"].initial = self.user.pk
            team = self.user.teams.first() if self.user.is_authenticated else None
            if team is not None:
                self.fields["team"].initial = team.pk

    def clean_tags(self) -> list[str]:
        return sorted({t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()})


class StageForm(forms.Form):
    stage = forms.ChoiceField(choices=Initiative.Stage.choices)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DependencyForm(PortolanModelForm):
    change_fields = ("successor",)

    class Meta:
        model = Dependency
        fields = ["predecessor", "successor", "type", "lag_days", "hard", "note"]


class MilestoneForm(PortolanModelForm):
    change_fields = ("initiative",)

    class Meta:
        model = Milestone
        fields = [
            "initiative",
            "name",
            "planned_date",
            "baseline_date",
            "actual_date",
            "status",
            "key_milestone",
        ]


class StatusUpdateForm(PortolanModelForm):
    change_fields = ("initiative",)

    class Meta:
        model = StatusUpdate
        fields = ["initiative", "date", "overall", "schedule", "cost", "scope", "narrative"]
        widgets = {"narrative": forms.Textarea(attrs={"rows": 4})}


class RaciForm(PortolanModelForm):
    change_fields = ("initiative",)

    class Meta:
        model = RaciAssignment
        fields = ["initiative", "role", "user", "team", "note"]

    def clean(self):
        data = super().clean()
        if bool(data.get("user")) == bool(data.get("team")):
            raise forms.ValidationError("Choose either a person or a team (exactly one).")
        return data

    def _get_validation_exclusions(self):
        # A new Accountable replaces the current one (services.set_raci / update_raci): the
        # one-Accountable constraint is the service's to keep, so the form must not refuse it.
        exclude = super()._get_validation_exclusions()
        if self.cleaned_data.get("role") == RaciAssignment.Role.ACCOUNTABLE:
            exclude.add("initiative")
        return exclude


class ObjectiveLinkForm(PortolanModelForm):
    change_fields = ("initiative",)

    class Meta:
        model = ObjectiveLink
        fields = ["initiative", "objective", "weight"]


class EffortForm(PortolanModelForm):
    change_fields = ("initiative",)

    class Meta:
        model = Effort
        fields = ["initiative", "team", "person_days"]


class BulkEditForm(forms.Form):
    stage = forms.ChoiceField(choices=[("", "— keep —"), *Initiative.Stage.choices], required=False)
    owner = forms.ModelChoiceField(queryset=get_user_model().objects.order_by("username"), required=False)
    add_tags = forms.CharField(required=False, help_text="Comma-separated tags to add")
    reason = forms.CharField(required=False)

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {}
        if data.get("stage"):
            changes["stage"] = data["stage"]
        if data.get("owner"):
            changes["owner"] = data["owner"]
        tags = [t.strip() for t in (data.get("add_tags") or "").split(",") if t.strip()]
        if tags:
            changes["add_tags"] = tags
        return changes
