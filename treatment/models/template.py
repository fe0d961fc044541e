"""Plan templates: a goal tree with its interventions that a new plan starts from.

System entries (`practice` null) come from `fixtures/plan_templates/` through a data migration and are read-only
everywhere; a practice's own entries are made from scratch or saved from a plan ("Save as template") and stay
inside the practice. A template holds no patient data: baselines and targets are `[[placeholders]]`
(`treatment.placeholders`) and dates are offsets in weeks from the plan's start.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.validators import validate_no_nul
from treatment.instruments import validate_instrument

from .goal import GoalType


class PlanTemplateQuerySet(models.QuerySet):
    def visible_to(self, user) -> PlanTemplateQuerySet:
        """The system library plus the templates of the user's own practice (never another practice's)."""
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if user.is_superuser:
            return self
        if user.practice_id is None:
            return self.filter(practice__isnull=True)
        return self.filter(Q(practice__isnull=True) | Q(practice_id=user.practice_id))


class PlanTemplate(models.Model):
    """A problem-oriented plan to start from: the diagnoses it fits, typical problems, and a goal tree."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(
        "accounts.Practice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_templates",
        help_text="Empty for the built-in library (read-only); else the practice whose own template it is.",
    )
    key = models.SlugField(max_length=100, help_text="Unique among the system entries, or within the practice.")
    name = models.CharField(max_length=200, validators=[validate_no_nul])
    summary = models.TextField(blank=True, validators=[validate_no_nul])
    diagnosis_codes = models.JSONField(default=list, blank=True, help_text="ICD-10-CM codes (dotted) it fits.")
    presenting_problems = models.JSONField(default=list, blank=True, validators=[validate_no_nul])
    sources = models.JSONField(default=list, blank=True, validators=[validate_no_nul])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(practice__isnull=True), name="plan_template_system_key"
            ),
            models.UniqueConstraint(
                fields=["practice", "key"], condition=Q(practice__isnull=False), name="plan_template_practice_key"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_system(self) -> bool:
        return self.practice_id is None


class TemplateGoal(models.Model):
    """A goal of a template's tree, as a plan's goal will start: its SMART text, placeholders and offset."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="goals")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="sub_goals")
    goal_type = models.CharField(max_length=20, choices=GoalType.choices)
    description = models.TextField(validators=[validate_no_nul])
    measurable_criteria = models.TextField(blank=True, validators=[validate_no_nul])
    baseline_value = models.CharField(max_length=100, blank=True)
    target_value = models.CharField(max_length=100, blank=True)
    priority = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)], help_text="1 is the highest."
    )
    target_offset_weeks = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(520)],
        help_text="The target date, in weeks after the plan's start.",
    )
    smart = models.JSONField(default=dict, blank=True, validators=[validate_no_nul])
    measure_instrument = models.CharField(max_length=20, blank=True, validators=[validate_instrument])
    measure_target_score = models.PositiveSmallIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Its order among its siblings.")

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["template", "position"])]
        constraints = [
            models.CheckConstraint(condition=Q(goal_type__in=GoalType.values), name="template_goal_type_valid"),
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=10), name="template_goal_priority_range"),
            models.CheckConstraint(
                condition=Q(goal_type=GoalType.LONG_TERM, parent__isnull=True)
                | (~Q(goal_type=GoalType.LONG_TERM) & Q(parent__isnull=False)),
                name="template_goal_parent_only_below_long_term",
            ),
            models.CheckConstraint(
                condition=Q(measure_instrument="", measure_target_score__isnull=True)
                | (Q(goal_type=GoalType.OBJECTIVE, measure_target_score__isnull=False) & ~Q(measure_instrument="")),
                name="template_goal_measure_objective_only",
            ),
        ]

    def __str__(self):
        return self.description[:80]


class TemplateGoalIntervention(models.Model):
    """An intervention a template's goal uses, and how often."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template_goal = models.ForeignKey(TemplateGoal, on_delete=models.CASCADE, related_name="interventions")
    intervention = models.ForeignKey("interventions.Intervention", on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(max_length=50, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Its order among the goal's interventions.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["template_goal", "intervention"], name="template_goal_intervention_once"),
        ]

    def __str__(self):
        return f"{self.intervention} for {self.template_goal}"
