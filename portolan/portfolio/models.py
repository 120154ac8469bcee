"""The portfolio: objectives, teams, services, initiatives and what hangs off them."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from portolan.core.querysets import PortolanModel, owner_or_team_q

key_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
    "Use letters, digits, '.', '_' or '-' (at most 40 characters), starting with a letter or digit.",
)
money = dict(max_digits=16, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0)])


class RAG(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class Objective(PortolanModel):
    code = models.CharField(max_length=40, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("portfolio:objective_detail", args=[self.pk])


class Team(PortolanModel):
    code = models.CharField(max_length=40, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    capacity_pd_per_month = models.DecimalField(
        "capacity (person-days per month)",
        max_digits=8,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("portfolio:team_detail", args=[self.pk])


class Service(PortolanModel):
    class Kind(models.TextChoices):
        BUSINESS = "business", "Business service"
        TECHNICAL = "technical", "Technical service"
        PLATFORM = "platform", "Platform component"

    class Criticality(models.IntegerChoices):
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"
        CRITICAL = 4, "Critical"

    code = models.CharField(max_length=40, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TECHNICAL)
    owner_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="services"
    )
    criticality = models.PositiveSmallIntegerField(choices=Criticality.choices, default=Criticality.MEDIUM)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("portfolio:service_detail", args=[self.pk])

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return Q(owner_team__members=user)


class Tag(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Initiative(PortolanModel):
    class Kind(models.TextChoices):
        PROGRAM = "program", "Program"
        PROJECT = "project", "Project"
        RUN = "run", "Run"
        IMPROVEMENT = "improvement", "Improvement"

    class Stage(models.TextChoices):
        IDEA = "idea", "Idea"
        ASSESSMENT = "assessment", "Assessment"
        APPROVED = "approved", "Approved"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        ON_HOLD = "on_hold", "On hold"
        CANCELLED = "cancelled", "Cancelled"

    key = models.CharField(max_length=40, unique=True, validators=[key_validator])
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PROJECT, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDEA, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="initiatives"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="initiatives"
    )

    health_overall = models.CharField("overall health", max_length=5, choices=RAG.choices, blank=True)
    health_schedule = models.CharField("schedule health", max_length=5, choices=RAG.choices, blank=True)
    health_cost = models.CharField("cost health", max_length=5, choices=RAG.choices, blank=True)
    health_scope = models.CharField("scope health", max_length=5, choices=RAG.choices, blank=True)
    health_reason = models.TextField(blank=True)

    planned_start = models.DateField(null=True, blank=True)
    planned_finish = models.DateField(null=True, blank=True)
    baseline_start = models.DateField(null=True, blank=True)
    baseline_finish = models.DateField(null=True, blank=True)
    actual_start = models.DateField(null=True, blank=True)
    actual_finish = models.DateField(null=True, blank=True)

    budget_capex = models.DecimalField("budget capex", **money)
    budget_opex = models.DecimalField("budget opex", **money)
    forecast_cost = models.DecimalField("forecast cost", **money)
    actual_cost = models.DecimalField("actual cost", **money)
    progress = models.PositiveSmallIntegerField(
        "progress (%)",
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Share of the work done, 0–100.",
    )

    tags = models.ManyToManyField(Tag, blank=True, related_name="initiatives")
    services = models.ManyToManyField(Service, blank=True, related_name="initiatives")
    objectives = models.ManyToManyField(
        Objective, through="ObjectiveLink", blank=True, related_name="initiatives"
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("portfolio:initiative_detail", args=[self.pk])

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user)

    @property
    def budget_total(self) -> Decimal:
        return self.budget_capex + self.budget_opex

    def clean(self) -> None:
        errors = {}
        for start, finish in (
            ("planned_start", "planned_finish"),
            ("baseline_start", "baseline_finish"),
            ("actual_start", "actual_finish"),
        ):
            a, b = getattr(self, start), getattr(self, finish)
            if a and b and b < a:
                errors[finish] = f"The finish ({b:%Y-%m-%d}) is before the start ({a:%Y-%m-%d})."
        if self.progress is not None and self.progress > 100:
            errors["progress"] = "Progress is a percentage between 0 and 100."
        errors.update(self._tree_errors())
        if errors:
            raise ValidationError(errors)

    def _tree_errors(self) -> dict[str, str]:
        """The tree is program -> project: a parent is a program, a program has no parent."""
        if self.parent_id is not None:
            if self.parent_id == self.pk:
                return {"parent": "An initiative cannot be its own parent."}
            if self.kind == self.Kind.PROGRAM:
                return {"parent": "A program is at the top of the tree and has no parent."}
            parent = Initiative.objects.filter(pk=self.parent_id).values_list("key", "kind").first()
            if parent and parent[1] != self.Kind.PROGRAM:
                return {"parent": f"The parent must be a program; {parent[0]} is a {parent[1]}."}
        if self.pk and self.kind != self.Kind.PROGRAM:
            children = Initiative.objects.filter(parent_id=self.pk).count()
            if children:
                return {"kind": f"It is the program of {children} initiatives: move them out first."}
        return {}


class InitiativeChild(PortolanModel):
    """Abstract: objects owned through their initiative (milestones, effort, RACI …)."""

    ownership_parent = "initiative"

    class Meta:
        abstract = True

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user, "initiative__")

    def audit_scope(self) -> str:
        """Changes appear on the History tab of the initiative they hang off."""
        return f"portfolio.initiative:{getattr(self, f'{self.ownership_parent}_id')}"


class ObjectiveLink(InitiativeChild):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="objective_links")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="initiative_links")
    weight = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(0)]
    )

    class Meta:
        unique_together = [("initiative", "objective")]
        ordering = ["objective__code"]

    def __str__(self) -> str:
        return f"{self.initiative.key} → {self.objective.code}"


class Effort(InitiativeChild):
    """Estimated effort of a team on an initiative, in person-days."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="efforts")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="efforts")
    person_days = models.DecimalField(max_digits=9, decimal_places=1, validators=[MinValueValidator(0)])

    class Meta:
        unique_together = [("initiative", "team")]
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"{self.initiative.key}: {self.team} {self.person_days} pd"


class Dependency(InitiativeChild):
    class Type(models.TextChoices):
        FS = "FS", "Finish to start"
        SS = "SS", "Start to start"
        FF = "FF", "Finish to finish"
        SF = "SF", "Start to finish"

    predecessor = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="successor_links")
    successor = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="predecessor_links")
    type = models.CharField(max_length=2, choices=Type.choices, default=Type.FS)
    lag_days = models.IntegerField("lag (days)", default=0)
    hard = models.BooleanField(default=True, help_text="A hard dependency cannot be broken by re-planning.")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        unique_together = [("predecessor", "successor")]
        ordering = ["predecessor__key", "successor__key"]
        verbose_name_plural = "dependencies"

    def __str__(self) -> str:
        lag = f" {self.lag_days:+d}d" if self.lag_days else ""
        return f"{self.predecessor.key} →{self.type}{lag} {self.successor.key}"

    # A dependency belongs to the initiative that waits: its successor's owners manage it.
    ownership_parent = "successor"

    @classmethod
    def owned_by_q(cls, user) -> Q:
        return owner_or_team_q(user, "successor__")

    def clean(self) -> None:
        if self.predecessor_id and self.predecessor_id == self.successor_id:
            raise ValidationError({"successor": "An initiative cannot depend on itself."})


class Milestone(InitiativeChild):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACHIEVED = "achieved", "Achieved"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    planned_date = models.DateField()
    baseline_date = models.DateField(null=True, blank=True)
    actual_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    key_milestone = models.BooleanField(default=False, help_text="Shown on the executive dashboard.")

    class Meta:
        ordering = ["planned_date", "name"]
        unique_together = [("initiative", "name")]

    def __str__(self) -> str:
        return f"{self.initiative.key}: {self.name}"

    @property
    def slip_days(self) -> int | None:
        if self.baseline_date is None:
            return None
        return ((self.actual_date or self.planned_date) - self.baseline_date).days


class StatusUpdate(InitiativeChild):
    """Append-only: the history of an initiative's health."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="status_updates")
    date = models.DateField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    overall = models.CharField(max_length=5, choices=RAG.choices)
    schedule = models.CharField(max_length=5, choices=RAG.choices, blank=True)
    cost = models.CharField(max_length=5, choices=RAG.choices, blank=True)
    scope = models.CharField(max_length=5, choices=RAG.choices, blank=True)
    narrative = models.TextField()

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.initiative.key} {self.date:%Y-%m-%d} {self.overall}"


class RaciAssignment(InitiativeChild):
    class Role(models.TextChoices):
        RESPONSIBLE = "R", "Responsible"
        ACCOUNTABLE = "A", "Accountable"
        CONSULTED = "C", "Consulted"
        INFORMED = "I", "Informed"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="raci")
    role = models.CharField(max_length=1, choices=Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="raci"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="raci")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True) | Q(user__isnull=True, team__isnull=False),
                name="raci_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["initiative"], condition=Q(role="A"), name="raci_one_accountable"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative.key}: {self.get_role_display()} {self.party}"

    @property
    def party(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return str(self.team)
