"""The KPI catalogue and its measurements (append-only values per period)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse

from portolan.core.querysets import PortolanModel, owner_or_team_q
from portolan.engine import kpi as engine
from portolan.portfolio.models import Team, key_validator


class Direction(models.TextChoices):
    HIGHER = "higher_is_better", "Higher is better"
    LOWER = "lower_is_better", "Lower is better"


class Frequency(models.TextChoices):
    DAY = "day", "Daily"
    WEEK = "week", "Weekly"
    MONTH = "month", "Monthly"
    QUARTER = "quarter", "Quarterly"


class Kpi(PortolanModel):
    class Source(models.TextChoices):
        MANUAL = "manual", "Manual entry"
        IMPORT = "import", "Imported (CSV/XLSX, API)"
        COMPUTED = "computed", "Computed by Portolan"

    code = models.CharField(max_length=40, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    formula = models.TextField(blank=True, help_text="How the value is calculated, in words.")
    unit = models.CharField(max_length=30, blank=True)
    direction = models.CharField(max_length=20, choices=Direction.choices, default=Direction.HIGHER)
    target = models.FloatField()
    amber = models.FloatField("amber threshold")
    red = models.FloatField("red threshold")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTH)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="kpis"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="kpis")
    category = models.CharField(max_length=60, blank=True, db_index=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    reference = models.CharField(max_length=200, blank=True, help_text="Standard or framework it comes from.")
    on_dashboard = models.BooleanField(default=False, help_text="Shown as a tile on the executive dashboard.")

    class Meta:
        ordering = ["code"]
        verbose_name = "KPI"
        verbose_name_plural = "KPIs"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:kpi_detail", args=[self.pk])

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user)

    @property
    def thresholds(self) -> engine.Thresholds:
        return engine.Thresholds(self.direction, self.target, self.amber, self.red)

    def clean(self) -> None:
        if None in (self.target, self.amber, self.red):
            return  # the field errors say what is missing
        try:
            engine.validate_thresholds(self.direction, self.target, self.amber, self.red)
        except engine.ThresholdError:
            if self.direction == Direction.HIGHER:
                rule = (
                    "higher is better, so the target must be at or above the amber threshold, "
                    "and amber at or above red"
                )
            else:
                rule = (
                    "lower is better, so the target must be at or below the amber threshold, "
                    "and amber at or below red"
                )
            raise ValidationError(
                {
                    "amber": (
                        f"These thresholds contradict the direction: {rule} "
                        f"(target {self.target:g}, amber {self.amber:g}, red {self.red:g})."
                    )
                }
            ) from None


class Measurement(PortolanModel):
    """The value of a KPI for one period; one row per KPI and period."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Entered by hand"
        IMPORT = "import", "Imported file"
        API = "api", "REST API"
        COMPUTED = "computed", "Computed by Portolan"

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    period = models.CharField(
        max_length=12, help_text="2026-03 (month), 2026-Q1 (quarter), 2026-W09 (week) or 2026-03-31 (day)."
    )
    period_start = models.DateField(editable=False, db_index=True)
    period_end = models.DateField(editable=False)
    value = models.FloatField()
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    ownership_parent = "kpi"  # a value belongs to whoever owns its KPI (core.services.owns_state)

    class Meta:
        ordering = ["kpi__code", "-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["kpi", "period_start"], name="measurement_one_per_period")
        ]
        indexes = [models.Index(fields=["kpi", "period_start"])]

    def __str__(self) -> str:
        code = self.kpi.code if self.kpi_id else "?"
        return f"{code} {self.period} = {self.value:g}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:kpi_detail", args=[self.kpi_id]) + "?tab=measurements"

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user, "kpi__")

    def clean(self) -> None:
        if not self.kpi_id or not self.period:
            return
        period = resolve_period(self.kpi, self.period)
        self.period, self.period_start, self.period_end = period.label, period.start, period.end
        if (
            Measurement.objects.filter(kpi_id=self.kpi_id, period_start=period.start)
            .exclude(pk=self.pk)
            .exists()
        ):
            raise ValidationError(
                {
                    "period": f"{self.kpi.code} already has a value for {period.label}: "
                    "edit that value instead."
                }
            )

    def validate_constraints(self, exclude=None):
        # clean() reports the duplicate period in words; skip the generic constraint message.
        pass


def resolve_period(kpi: Kpi, text: str) -> engine.Period:
    """The period named by ``text``, which must match the KPI's frequency (else a ValidationError)."""
    try:
        period = engine.parse_period(str(text))
    except engine.PeriodError:
        raise ValidationError(
            {
                "period": f"'{text}' is not a period: write 2026-03 (month), 2026-Q1 (quarter), "
                "2026-W09 (ISO week) or 2026-03-31 (day)."
            }
        ) from None
    if period.kind != kpi.frequency:
        example = engine.Period.containing(kpi.frequency, period.start).label
        raise ValidationError(
            {
                "period": f"{kpi.code} is measured {kpi.get_frequency_display().lower()}; "
                f"'{text}' is a {period.kind}. Use a period like {example}."
            }
        )
    return period
