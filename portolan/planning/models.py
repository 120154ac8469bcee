"""Planning: score inputs, scoring models, selection rules, scenarios and baselines.

Budget rule (documented once, used by :mod:`portolan.planning.services`): an initiative's
capex and opex are spread over its planned months in proportion to the months falling in
each calendar year; its effort per team is spread evenly over the same months and summed
per quarter. The planned months come from the planning inputs (fixed start, else earliest
start, else the planned start; duration in months, else the planned start-to-finish span).
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from portolan.core.querysets import PortolanModel
from portolan.portfolio.models import Initiative, InitiativeChild


class PlanningInput(InitiativeChild):
    """What scoring, selection and scheduling need to know about one initiative.

    Empty values mean "not estimated yet": they are listed as missing, never read as zero.
    """

    class Mandatory(models.TextChoices):
        NO = "no", "Not mandatory"
        REGULATORY = "regulatory", "Mandatory: regulatory"
        RUN = "run", "Mandatory: keeps the run going"
        CONTRACT = "contract", "Mandatory: contractual"

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, related_name="planning")
    business_value = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="WSJF: relative business value (1–20, Fibonacci-like)."
    )
    time_criticality = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="WSJF: how fast the value decays (1–20)."
    )
    risk_reduction = models.PositiveSmallIntegerField(
        "risk reduction / opportunity enablement", null=True, blank=True, help_text="WSJF (1–20)."
    )
    job_size = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="WSJF: relative size (1–20)."
    )
    criteria = models.JSONField(
        default=dict, blank=True, help_text="Values of the weighted scoring criteria, by criterion key."
    )
    mandatory = models.CharField(max_length=12, choices=Mandatory.choices, default=Mandatory.NO)
    mandatory_reason = models.CharField(max_length=300, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        "duration (months)", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    earliest_start = models.DateField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True, help_text="Finish no later than this month.")
    fixed_start = models.DateField(null=True, blank=True, help_text="Start exactly in this month.")
    manual_rank = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    rank_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["initiative__key"]
        verbose_name = "planning input"

    def __str__(self) -> str:
        return f"{self.initiative.key} planning inputs"

    def get_absolute_url(self) -> str:
        return reverse("planning:planninginput_edit", args=[self.initiative_id])

    @property
    def is_mandatory(self) -> bool:
        return self.mandatory != self.Mandatory.NO

    def clean(self) -> None:
        errors = {}
        if self.is_mandatory and not self.mandatory_reason.strip():
            errors["mandatory_reason"] = (
                "Say why this initiative is mandatory (the regulation, the run need …)."
            )
        if self.manual_rank is not None and not self.rank_reason.strip():
            errors["rank_reason"] = "A manual rank needs a reason: it overrides the scores."
        if self.deadline and self.earliest_start and self.deadline < self.earliest_start:
            errors["deadline"] = "The deadline is before the earliest start."
        if not isinstance(self.criteria, dict):
            errors["criteria"] = "Criteria values are a mapping of criterion key to number."
        if errors:
            raise ValidationError(errors)


class ScoringModel(PortolanModel):
    """How initiatives are scored: weighted criteria with scales, WSJF, or strategic alignment."""

    class Kind(models.TextChoices):
        WEIGHTED = "weighted", "Weighted criteria"
        WSJF = "wsjf", "WSJF (cost of delay / job size)"
        ALIGNMENT = "alignment", "Strategic alignment (objective links × weights)"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.WEIGHTED)
    criteria = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            'Weighted criteria: a list of {"key", "label", "weight", "scale_min", "scale_max", '
            '"higher_is_better"}.'
        ),
    )
    is_default = models.BooleanField(default=False, help_text="Used where no scoring model is chosen.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_scoring"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("planning:backlog") + f"?model={self.pk}"

    def clean(self) -> None:
        from portolan.planning.scoring import engine_model  # the engine validates scales and weights

        if self.kind == self.Kind.WEIGHTED:
            try:
                engine_model(self)
            except (TypeError, ValueError, KeyError) as exc:
                raise ValidationError({"criteria": f"Invalid criteria: {exc}"}) from None


class SelectionRule(PortolanModel):
    """A constraint between two initiatives for portfolio selection."""

    class Kind(models.TextChoices):
        REQUIRES = "requires", "requires"
        EXCLUDES = "excludes", "excludes (at most one of the two)"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="selection_rules")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REQUIRES)
    other = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["initiative__key", "other__key"]
        unique_together = [("initiative", "kind", "other")]

    def __str__(self) -> str:
        return f"{self.initiative.key} {self.kind} {self.other.key}"

    def clean(self) -> None:
        if self.initiative_id and self.initiative_id == self.other_id:
            raise ValidationError({"other": "A rule links two different initiatives."})


class Scenario(PortolanModel):
    """A what-if: budgets, capacity, forced in/out and dates; its solved plan is stored."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Not solved yet"
        SOLVED = "solved", "Solved"
        INFEASIBLE = "infeasible", "Infeasible (explained)"
        STALE = "stale", "Changed since solved"

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived"
    )
    is_plan_of_record = models.BooleanField(default=False, editable=False)
    scoring_model = models.ForeignKey(
        ScoringModel, null=True, blank=True, on_delete=models.PROTECT, related_name="scenarios"
    )
    start = models.DateField(help_text="First month of the plan.")
    horizon_months = models.PositiveSmallIntegerField(
        default=36, validators=[MinValueValidator(3), MaxValueValidator(120)]
    )
    budgets = models.JSONField(
        default=dict, blank=True, help_text='Per year: {"2027": {"capex": 5000000, "opex": 2000000}}.'
    )
    capacity_factors = models.JSONField(
        default=dict, blank=True, help_text='Per team code: {"NET": 0.8} (1 = the team\'s normal capacity).'
    )
    forced_in = models.ManyToManyField(Initiative, blank=True, related_name="+")
    forced_out = models.ManyToManyField(Initiative, blank=True, related_name="+")
    date_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'Per initiative key: {"INF-001": {"earliest_start": "2027-03-01", "deadline": "2027-12-31"}}.'
        ),
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False)
    solved_at = models.DateTimeField(null=True, blank=True, editable=False)
    results = models.JSONField(default=dict, blank=True, editable=False)

    audit_exclude = ("created", "updated", "results")

    class Meta:
        ordering = ["-is_plan_of_record", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_plan_of_record"], condition=Q(is_plan_of_record=True), name="one_plan_of_record"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("planning:scenario_detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if not isinstance(self.budgets, dict) or not all(
            isinstance(v, dict) and set(v) <= {"capex", "opex"} for v in self.budgets.values()
        ):
            errors["budgets"] = 'Budgets are per year: {"2027": {"capex": 5000000, "opex": 2000000}}.'
        else:
            for year, parts in self.budgets.items():
                if not str(year).isdigit():
                    errors["budgets"] = f"'{year}' is not a year."
                elif any(not isinstance(v, int | float) or v < 0 for v in parts.values()):
                    errors["budgets"] = f"Budgets of {year} must be numbers ≥ 0."
        if not isinstance(self.capacity_factors, dict) or any(
            not isinstance(v, int | float) or v < 0 for v in self.capacity_factors.values()
        ):
            errors["capacity_factors"] = 'Capacity factors are numbers ≥ 0 per team code: {"NET": 0.8}.'
        if not isinstance(self.date_overrides, dict) or any(
            not isinstance(v, dict) or not set(v) <= {"earliest_start", "deadline", "fixed_start"}
            for v in self.date_overrides.values()
        ):
            errors["date_overrides"] = (
                "Date overrides are per initiative key, with earliest_start, deadline or fixed_start."
            )
        if errors:
            raise ValidationError(errors)


class Baseline(PortolanModel):
    """A frozen copy of the planned dates (initiatives and milestones) to measure slippage."""

    name = models.CharField(max_length=100, unique=True)
    date = models.DateField()
    scenario = models.ForeignKey(Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)
    snapshot = models.JSONField(default=dict, blank=True, editable=False)

    audit_exclude = ("created", "updated", "snapshot")

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("planning:baseline_detail", args=[self.pk])
