"""Forms of the operations pages: the import wizards, the time window, finding actions."""

from django import forms
from django.conf import settings

from portolan.core.roles import ALL, grant
from portolan.engine import dora, eventlog
from portolan.operations.models import Finding
from portolan.portfolio.models import Team

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


def team_choices(user):
    """Teams the user may import for: all for the office, their own teams for contributors."""
    if grant(user, "add") == ALL:
        return Team.objects.all()
    return Team.objects.filter(members=user) if user.is_authenticated else Team.objects.none()


def require_team(field, user) -> None:
    """Team choices for the user; a contributor imports for one of their teams (the first by default)."""
    field.queryset = team_choices(user)
    if grant(user, "add") != ALL:
        field.required = True
        field.empty_label = None
        first = field.queryset.first()
        field.initial = first.pk if first else None


class WindowForm(forms.Form):
    """The time window in the URL (``?start=2016-03-01&end=2016-06-01``), end exclusive."""

    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", **TEXT}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", **TEXT}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise forms.ValidationError("The end of the window must come after its start.")
        return data


class EventLogUploadForm(forms.Form):
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs=TEXT))
    file = forms.FileField(
        help_text="CSV, XLSX, Parquet or XES; plain, .zip or .gz.",
        widget=forms.ClearableFileInput(
            attrs={**TEXT, "accept": ".csv,.tsv,.txt,.xlsx,.parquet,.xes,.zip,.gz"}
        ),
    )
    preset = forms.ChoiceField(
        required=False,
        choices=[("", "Map the columns myself")] + [(p, p) for p in sorted(eventlog.PRESETS)],
        help_text="A known export (ServiceNow incidents, Volvo VINST, XES) maps its columns for you.",
        widget=forms.Select(attrs=SELECT),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, widget=forms.Select(attrs=SELECT)
    )
    separator = forms.CharField(max_length=2, required=False, strip=False, widget=forms.TextInput(attrs=TEXT))
    encoding = forms.CharField(max_length=20, required=False, widget=forms.TextInput(attrs=TEXT))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        require_team(self.fields["team"], user)
        self.fields["team"].help_text = "The team that owns the log (its members may manage it)."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(too_big_message(upload.size))
        return upload


def too_big_message(size: int | None) -> str:
    limit = settings.MAX_UPLOAD_BYTES / 1024 / 1024
    got = f" (this one is {size / 1024 / 1024:,.0f} MB)" if size else ""
    return (
        f"The file is larger than the upload limit of {limit:,.0f} MB{got}. "
        "Import large logs from the command line, which streams them: "
        "portolan eventlog import FILE --name NAME --preset … "
    )


class EventLogMappingForm(forms.Form):
    """Which column is what; the choices are the uploaded file's columns."""

    case = forms.ChoiceField(label="Case id", widget=forms.Select(attrs=SELECT))
    activity = forms.MultipleChoiceField(
        label="Activity",
        help_text="Choose several to join them (e.g. status and sub-status).",
        widget=forms.SelectMultiple(attrs={**SELECT, "size": 4}),
    )
    timestamp = forms.ChoiceField(label="Timestamp", widget=forms.Select(attrs=SELECT))
    timestamp_format = forms.CharField(
        required=False,
        label="Timestamp format",
        help_text="strftime, e.g. %d/%m/%Y %H:%M. Leave empty to detect it over the whole column.",
        widget=forms.TextInput(attrs=TEXT),
    )
    resource = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    group = forms.ChoiceField(required=False, label="Group (team)", widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, columns=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(c, c) for c in columns]
        for name in ("case", "activity", "timestamp"):
            self.fields[name].choices = choices
        for name in ("resource", "group"):
            self.fields[name].choices = [("", "—")] + choices

    def mapping_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["activity"] = ",".join(data["activity"])
        return data


class ConfirmForm(forms.Form):
    on_bad_rows = forms.ChoiceField(choices=[("quarantine", "Quarantine"), ("reject", "Reject")])


class DeliveryImportForm(forms.Form):
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs=TEXT))
    deployments = forms.FileField(
        label="Deployments (releases) file", widget=forms.ClearableFileInput(attrs=TEXT)
    )
    changes = forms.FileField(
        required=False, label="Changes (commits) file", widget=forms.ClearableFileInput(attrs=TEXT)
    )
    incidents = forms.FileField(
        required=False,
        label="Incidents file (for time to restore)",
        widget=forms.ClearableFileInput(attrs=TEXT),
    )
    preset = forms.ChoiceField(
        required=False,
        choices=[("", "Map the columns myself")] + [(p, p) for p in sorted(dora.PRESETS)],
        widget=forms.Select(attrs=SELECT),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, widget=forms.Select(attrs=SELECT)
    )
    deployment_id = forms.CharField(
        required=False, label="Deployment id column", widget=forms.TextInput(attrs=TEXT)
    )
    deployed_at = forms.CharField(
        required=False, label="Deployment time column", widget=forms.TextInput(attrs=TEXT)
    )
    failed = forms.CharField(
        required=False, label="Failed deployment column (1/true)", widget=forms.TextInput(attrs=TEXT)
    )
    change_created_at = forms.CharField(
        required=False, label="Change created column", widget=forms.TextInput(attrs=TEXT)
    )
    change_deployed_at = forms.CharField(
        required=False, label="Change deployed column", widget=forms.TextInput(attrs=TEXT)
    )
    change_deployment = forms.CharField(
        required=False, label="…or change's deployment id column", widget=forms.TextInput(attrs=TEXT)
    )
    incident_start = forms.CharField(
        required=False, label="Incident start column", widget=forms.TextInput(attrs=TEXT)
    )
    incident_restored = forms.CharField(
        required=False, label="Incident restored column", widget=forms.TextInput(attrs=TEXT)
    )
    quarantine = forms.BooleanField(
        required=False, label="Set rows with unreadable times aside instead of refusing the files"
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        require_team(self.fields["team"], user)

    def clean(self):
        data = super().clean()
        for name in ("deployments", "changes", "incidents"):
            upload = data.get(name)
            if upload is not None and upload.size > settings.MAX_UPLOAD_BYTES:
                self.add_error(name, too_big_message(upload.size))
        return data


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Finding.Status.OPEN, "Reopen"), (Finding.Status.DISMISSED, "Dismiss")]
    )
    reason = forms.CharField(required=False, max_length=500)
