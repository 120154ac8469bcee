"""The risk register: risks, mitigation actions, score history, duration estimates."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portolan.core.querysets import PortolanModel, owner_or_team_q
from portolan.portfolio.models import Initiative, InitiativeChild, Objective, Team, key_validator

SCALE = range(1, 6)
PROBABILITY_LABELS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
IMPACT_LABELS = {1: "Minimal", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}
# Share of iterations in which a risk occurs in the Monte Carlo, by probability rating:
# the middle of the bands <10 %, 10-30 %, 30-50 %, 50-70 %, >70 %.
PROBABILITY_SHARE = {1: 0.05, 2: 0.2, 3: 0.4, 4: 0.6, 5: 0.85}


def score_band(score: int) -> str:
    """RAG band of a probability x impact score (1-25): 1-4 green, 5-12 amber, 15-25 red."""
    if score >= 15:
        return "red"
    if score >= 5:
        return "amber"
    return "green"


class Risk(PortolanModel):
    class Category(models.TextChoices):
        ORGANIZATIONAL = "organizational", "Organizational"
        OPERATIONAL = "operational", "Operational"
        TECHNICAL = "technical", "Technical"
        SECURITY = "security", "Security"
        FINANCIAL = "financial", "Financial"
        COMPLIANCE = "compliance", "Compliance"

    class Response(models.TextChoices):
        AVOID = "avoid", "Avoid"
        MITIGATE = "mitigate", "Mitigate"
        TRANSFER = "transfer", "Transfer"
        ACCEPT = "accept", "Accept"

    class Status(models.TextChoices):
        IDENTIFIED = "identified", "Identified"
        ASSESSED = "assessed", "Assessed"
        TREATING = "treating", "Being treated"
        MONITORING = "monitoring", "Monitoring"
        CLOSED = "closed", "Closed"

    class Proximity(models.TextChoices):
        IMMINENT = "imminent", "Imminent (< 1 month)"
        SHORT = "short", "Short term (1–3 months)"
        MEDIUM = "medium", "Medium term (3–12 months)"
        LONG = "long", "Long term (> 12 months)"

    key = models.CharField(max_length=40, unique=True, validators=[key_validator])
    title = models.CharField(max_length=300)
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    cause = models.TextField(blank=True, help_text="Because of … (the source of the risk)")
    event = models.TextField(blank=True, help_text="… this may happen …")
    effect = models.TextField(blank=True, help_text="… which would lead to … (the consequence)")
    probability = models.PositiveSmallIntegerField(
        help_text="Inherent probability, 1 (rare) to 5 (almost certain)."
    )
    impact = models.PositiveSmallIntegerField(help_text="Inherent impact, 1 (minimal) to 5 (severe).")
    residual_probability = models.PositiveSmallIntegerField(help_text="After mitigation, 1 to 5.")
    residual_impact = models.PositiveSmallIntegerField(help_text="After mitigation, 1 to 5.")
    inherent_score = models.PositiveSmallIntegerField(editable=False, default=0, db_index=True)
    residual_score = models.PositiveSmallIntegerField(editable=False, default=0, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="risks"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="risks")
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.MITIGATE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IDENTIFIED, db_index=True)
    proximity = models.CharField(max_length=10, choices=Proximity.choices, default=Proximity.MEDIUM)
    review_date = models.DateField(null=True, blank=True)
    initiatives = models.ManyToManyField(Initiative, blank=True, related_name="risks")
    objectives = models.ManyToManyField(Objective, blank=True, related_name="risks")
    schedule_delay_min = models.PositiveIntegerField(
        "schedule delay, minimum (days)", null=True, blank=True, help_text="If it occurs: optimistic delay."
    )
    schedule_delay_likely = models.PositiveIntegerField(
        "schedule delay, most likely (days)", null=True, blank=True
    )
    schedule_delay_max = models.PositiveIntegerField("schedule delay, maximum (days)", null=True, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("risks:risk_detail", args=[self.pk])

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user)

    @property
    def inherent_band(self) -> str:
        return score_band(self.inherent_score)

    @property
    def residual_band(self) -> str:
        return score_band(self.residual_score)

    @property
    def has_schedule_impact(self) -> bool:
        return self.schedule_delay_max is not None and self.schedule_delay_max > 0

    @property
    def review_overdue(self) -> bool:
        return (
            self.review_date is not None
            and self.status != self.Status.CLOSED
            and self.review_date < timezone.localdate()
        )

    def save(self, *args, **kwargs):
        self.inherent_score = (self.probability or 0) * (self.impact or 0)
        self.residual_score = (self.residual_probability or 0) * (self.residual_impact or 0)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = {}
        labels = {
            "probability": ("probability", PROBABILITY_LABELS),
            "impact": ("impact", IMPACT_LABELS),
            "residual_probability": ("residual probability", PROBABILITY_LABELS),
            "residual_impact": ("residual impact", IMPACT_LABELS),
        }
        for name, (label, words) in labels.items():
            value = getattr(self, name)
            if value is not None and value not in SCALE:
                scale = ", ".join(f"{k} {v.lower()}" for k, v in words.items())
                errors[name] = f"The {label} is rated on a 1–5 scale ({scale}); {value} is outside it."
        delays = (self.schedule_delay_min, self.schedule_delay_likely, self.schedule_delay_max)
        if any(d is not None for d in delays):
            if any(d is None for d in delays):
                errors["schedule_delay_max"] = (
                    "Give all three delays (minimum, most likely, maximum) or none."
                )
            elif not delays[0] <= delays[1] <= delays[2]:
                errors["schedule_delay_max"] = (
                    "Delays must satisfy minimum ≤ most likely ≤ maximum "
                    f"(got {delays[0]}, {delays[1]}, {delays[2]})."
                )
        if errors:
            raise ValidationError(errors)


class MitigationAction(PortolanModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    OPEN = (Status.PLANNED, Status.IN_PROGRESS)

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="risk_actions",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED, db_index=True)
    expected_effect = models.TextField(
        blank=True, help_text="What the action changes: probability, impact, or both."
    )
    completed_date = models.DateField(null=True, blank=True)

    ownership_parent = "risk"  # the mitigation plan belongs to whoever owns the risk

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = "mitigation action"

    def __str__(self) -> str:
        key = self.risk.key if self.risk_id else "?"
        return f"{key}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("risks:risk_detail", args=[self.risk_id]) + "?tab=actions"

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user, "risk__")

    @property
    def is_overdue(self) -> bool:
        return self.status in self.OPEN and self.due_date is not None and self.due_date < timezone.localdate()


class RiskScoreChange(PortolanModel):
    """Append-only: each assessment of a risk's scores, so that exposure can be trended."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="score_history")
    date = models.DateField(db_index=True)
    probability = models.PositiveSmallIntegerField()
    impact = models.PositiveSmallIntegerField()
    residual_probability = models.PositiveSmallIntegerField()
    residual_impact = models.PositiveSmallIntegerField()
    inherent_score = models.PositiveSmallIntegerField()
    residual_score = models.PositiveSmallIntegerField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.risk.key} {self.date:%Y-%m-%d} {self.inherent_score}→{self.residual_score}"

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user, "risk__")


class DurationEstimate(InitiativeChild):
    """Three-point duration estimate of an initiative, in calendar days (schedule risk)."""

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, related_name="duration_estimate")
    optimistic_days = models.IntegerField("optimistic (days)")
    most_likely_days = models.IntegerField("most likely (days)")
    pessimistic_days = models.IntegerField("pessimistic (days)")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["initiative__key"]

    def __str__(self) -> str:
        key = self.initiative.key if self.initiative_id else "?"
        return f"{key}: {self.optimistic_days}/{self.most_likely_days}/{self.pessimistic_days} d"

    def get_absolute_url(self) -> str:
        return reverse("risks:montecarlo")

    def clean(self) -> None:
        values = (self.optimistic_days, self.most_likely_days, self.pessimistic_days)
        if None in values:
            return
        negative = [
            n
            for n, v in zip(("optimistic_days", "most_likely_days", "pessimistic_days"), values, strict=True)
            if v < 0
        ]
        if negative:
            raise ValidationError({n: "A duration cannot be negative." for n in negative})
        if not values[0] <= values[1] <= values[2]:
            raise ValidationError(
                {
                    "pessimistic_days": "Estimates must satisfy optimistic ≤ most likely ≤ pessimistic "
                    f"(got {values[0]}, {values[1]}, {values[2]})."
                }
            )


class ScheduleRiskRun(PortolanModel):
    """A stored Monte Carlo result: what the dashboard shows as P80 dates, with its 'as of'."""

    as_of = models.DateField()
    seed = models.IntegerField()
    iterations = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.JSONField()

    audit_exclude = ("created", "updated", "result")

    class Meta:
        ordering = ["-created", "-pk"]
        get_latest_by = "created"

    def __str__(self) -> str:
        return f"Schedule risk {self.as_of:%Y-%m-%d} (seed {self.seed}, {self.iterations} iterations)"

    def get_absolute_url(self) -> str:
        return reverse("risks:montecarlo")

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return Q(created_by=user)
