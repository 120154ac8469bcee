"""Operations: imported event logs, the findings detected in them, and delivery (DORA) data sets.

Large logs are not rows here: each EventLog points at its normalized Parquet file under
``settings.DATA_DIR / "eventlogs"``; only metadata and analysis results live in the database.
"""

from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from portolan.core.querysets import PortolanModel
from portolan.portfolio.models import Initiative, Team


def _owner_q(user, prefix: str = "") -> Q:
    return Q(**{f"{prefix}imported_by": user}) | Q(**{f"{prefix}team__members": user})


class ImportedData(PortolanModel):
    """What every imported data set has: name, source, mapping, who imported it, owner team."""

    name = models.CharField(max_length=200)
    source_name = models.CharField("source file", max_length=300, blank=True)
    preset = models.CharField(max_length=40, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="owner team"
    )
    first_timestamp = models.DateTimeField(null=True, blank=True)
    last_timestamp = models.DateTimeField(null=True, blank=True)
    bad_rows = models.PositiveIntegerField(default=0, help_text="Rows set aside (quarantined) at import.")
    bad_row_summary = models.TextField(blank=True)
    data_path = models.CharField(max_length=500, blank=True, help_text="Folder under the data directory.")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return _owner_q(user)

    @property
    def folder(self) -> Path:
        return settings.DATA_DIR / self.data_path


class EventLog(ImportedData):
    """An imported ITSM/delivery event log: normalized Parquet + cached analysis."""

    events = models.PositiveIntegerField(default=0)
    cases = models.PositiveIntegerField(default=0)
    activities = models.PositiveIntegerField(default=0)
    duplicate_events = models.PositiveIntegerField(default=0)
    parquet_path = models.CharField(max_length=500, blank=True)
    analysis = models.JSONField(default=dict, blank=True, help_text="Summary computed once at import.")

    audit_exclude = ("created", "updated", "analysis")

    class Meta:
        ordering = ["-created", "name"]
        verbose_name = "event log"

    def get_absolute_url(self) -> str:
        return reverse("operations:eventlog_detail", args=[self.pk])

    @property
    def parquet(self) -> Path:
        return settings.DATA_DIR / self.parquet_path


class Finding(PortolanModel):
    """A quantified inefficiency found in an event log, with evidence cases."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted (improvement created)"
        DISMISSED = "dismissed", "Dismissed"

    eventlog = models.ForeignKey(EventLog, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=40, db_index=True)
    title = models.CharField(max_length=500)
    impact_hours_per_month = models.FloatField(default=0)
    share_of_cases = models.FloatField(default=0)
    evidence_case_ids = models.JSONField(default=list, blank=True)
    evidence_total = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)
    kpi_code = models.CharField("suggested KPI", max_length=40, blank=True)
    kpi = models.ForeignKey(
        "kpis.Kpi", null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True)
    initiative = models.ForeignKey(
        Initiative, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    rank = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-impact_hours_per_month", "rank", "pk"]

    def __str__(self) -> str:
        return f"{self.get_code_display_name()}: {self.title[:120]}"

    def get_code_display_name(self) -> str:
        return self.code.replace("_", " ").capitalize()

    def get_absolute_url(self) -> str:
        return reverse("operations:finding_detail", args=[self.pk])

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return _owner_q(user, "eventlog__")

    # core.services: a finding is owned through its event log.
    ownership_parent = "eventlog"


class DeliveryDataset(ImportedData):
    """Deployment, change and incident records with their DORA metrics computed at import."""

    deployments = models.PositiveIntegerField(default=0)
    changes = models.PositiveIntegerField(default=0)
    incidents = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True, help_text="DORA metrics computed at import.")

    audit_exclude = ("created", "updated", "metrics")

    class Meta:
        ordering = ["-created", "name"]
        verbose_name = "delivery data set"

    def get_absolute_url(self) -> str:
        return reverse("operations:dora_detail", args=[self.pk])
