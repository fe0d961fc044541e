import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.access import PatientScopedQuerySet
from accounts.validators import validate_clinical_date, validate_clinical_datetime, validate_no_nul
from treatment.instruments import INSTRUMENTS, validate_instrument

from .plan import _etag


class GoalType(models.TextChoices):
    LONG_TERM = "long_term", "Long-term goal"
    SHORT_TERM = "short_term", "Short-term goal"
    OBJECTIVE = "objective", "Objective"


#: The type a goal's parent must have (None: it has no parent).
PARENT_TYPE = {
    GoalType.LONG_TERM: None,
    GoalType.SHORT_TERM: GoalType.LONG_TERM,
    GoalType.OBJECTIVE: GoalType.SHORT_TERM,
}


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    ACHIEVED = "achieved", "Achieved"
    MODIFIED = "modified", "Modified"
    DISCONTINUED = "discontinued", "Discontinued"


#: The SMART template of the spec: each part's questions, answered per goal in `TreatmentGoal.smart`.
SMART_TEMPLATE = {
    "specific": {
        "what": "What exactly will be accomplished?",
        "who": "Who is involved?",
        "where": "Where will it happen?",
    },
    "measurable": {
        "indicator": "How will progress be measured?",
        "target": "What is the target value?",
    },
    "achievable": {
        "resources": "What resources are needed?",
        "barriers": "What barriers might exist?",
    },
    "relevant": {
        "alignment": "How does this align with treatment goals?",
        "importance": "Why is this goal important?",
    },
    "time_bound": {
        "deadline": "Target completion date",
        "milestones": "Key milestone dates",
    },
}


class GoalQuerySet(PatientScopedQuerySet):
    patient_lookup = "plan__patient"


class GoalChildQuerySet(PatientScopedQuerySet):
    """Interventions and progress entries of a goal follow the goal's patient."""

    patient_lookup = "goal__plan__patient"


class TreatmentGoal(models.Model):
    """A goal in a plan's tree: long-term -> short-term -> objective, with its SMART fields and progress."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every goal carries its plan, whatever its depth: the whole tree loads in one query.
    plan = models.ForeignKey("treatment.TreatmentPlan", on_delete=models.CASCADE, related_name="goals")
    parent_goal = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="sub_goals")
    goal_type = models.CharField(max_length=20, choices=GoalType.choices)
    description = models.TextField()
    measurable_criteria = models.TextField(blank=True)
    baseline_value = models.CharField(max_length=100, blank=True)
    target_value = models.CharField(max_length=100, blank=True)
    current_value = models.CharField(max_length=100, blank=True)
    target_date = models.DateField(null=True, blank=True, validators=[validate_clinical_date])
    status = models.CharField(max_length=20, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED)
    progress_percentage = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    priority = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)], help_text="1 is the highest."
    )
    smart = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_no_nul],
        help_text="Answers to the SMART template, by part and question.",
    )
    # An objective driven by a standardized measure (`treatment.services.measures`): its progress and
    # current value come from the patient's scores on the instrument, not from ratings.
    measure_instrument = models.CharField(
        max_length=20,
        blank=True,
        validators=[validate_instrument],
        help_text="The code of the instrument whose scores drive it (treatment.instruments; no choices, so that "
        "a new instrument needs no migration).",
    )
    #: The score progress starts from; null: the default rule (the last score on or before the plan's start,
    #: else the first after it).
    measure_baseline_score = models.PositiveSmallIntegerField(null=True, blank=True)
    measure_target_score = models.PositiveSmallIntegerField(null=True, blank=True)
    # What the last score made of it (derived, written by the measures service only; null until a score).
    measure_baseline_used = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    measure_last_score = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    measure_response = models.BooleanField(null=True, blank=True, editable=False)
    measure_remission = models.BooleanField(null=True, blank=True, editable=False)
    measure_reliable_improvement = models.BooleanField(null=True, blank=True, editable=False)
    measure_reliable_deterioration = models.BooleanField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "created_at"]
        indexes = [
            models.Index(fields=["plan", "priority", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(goal_type__in=GoalType.values), name="goal_type_valid"),
            models.CheckConstraint(condition=Q(status__in=GoalStatus.values), name="goal_status_valid"),
            models.CheckConstraint(
                condition=Q(progress_percentage__gte=0, progress_percentage__lte=100), name="goal_progress_range"
            ),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=10), name="goal_priority_range"),
            # Only an objective is driven by a measure, and it then has a target score.
            models.CheckConstraint(
                condition=Q(
                    measure_instrument="", measure_baseline_score__isnull=True, measure_target_score__isnull=True
                )
                | (Q(goal_type=GoalType.OBJECTIVE, measure_target_score__isnull=False) & ~Q(measure_instrument="")),
                name="goal_measure_objective_only",
            ),
            models.CheckConstraint(
                condition=Q(goal_type=GoalType.LONG_TERM, parent_goal__isnull=True)
                | (~Q(goal_type=GoalType.LONG_TERM) & Q(parent_goal__isnull=False)),
                name="goal_parent_only_below_long_term",
            ),
        ]

    def __str__(self):
        return self.description[:80]

    @property
    def patient(self):
        return self.plan.patient

    @property
    def etag(self) -> str:
        return _etag(self.pk, self.updated_at)

    @property
    def measure(self):
        """The instrument driving this objective, or None."""
        return INSTRUMENTS.get(self.measure_instrument) if self.measure_instrument else None


class GoalIntervention(models.Model):
    """An intervention used for a goal: how often, notes, and how well it is working (1-5)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    goal = models.ForeignKey(TreatmentGoal, on_delete=models.CASCADE, related_name="goal_interventions")
    intervention = models.ForeignKey("interventions.Intervention", on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(max_length=50, blank=True, help_text="'every session', 'weekly', 'as needed'...")
    notes = models.TextField(blank=True)
    effectiveness_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GoalChildQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effectiveness_rating__isnull=True)
                | Q(effectiveness_rating__gte=1, effectiveness_rating__lte=5),
                name="goal_intervention_rating_1_5",
            ),
            models.UniqueConstraint(fields=["goal", "intervention"], name="goal_intervention_once"),
        ]

    def __str__(self):
        return f"{self.intervention} for {self.goal}"

    @property
    def patient(self):
        return self.goal.plan.patient


class GoalProgress(models.Model):
    """One observation of a goal's progress, usually from a session: note, value and rating 1-10."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    goal = models.ForeignKey(TreatmentGoal, on_delete=models.CASCADE, related_name="progress_entries")
    session = models.ForeignKey(
        "treatment.TherapySession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="progress_entries",
    )
    progress_note = models.TextField()
    progress_value = models.CharField(max_length=100, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now, validators=[validate_clinical_datetime])

    objects = GoalChildQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at"]
        verbose_name_plural = "goal progress entries"
        indexes = [models.Index(fields=["goal", "recorded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=10), name="goal_progress_rating_1_10"
            ),
        ]

    def __str__(self):
        return f"Progress on {self.goal} at {self.recorded_at:%Y-%m-%d}"

    @property
    def patient(self):
        return self.goal.plan.patient
