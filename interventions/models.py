import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Modality(models.TextChoices):
    """The therapy an intervention comes from, written as the spec writes it (`CBT`, `DBT`, ...)."""

    CBT = "CBT", "Cognitive behavioral therapy (CBT)"
    DBT = "DBT", "Dialectical behavior therapy (DBT)"
    ACT = "ACT", "Acceptance and commitment therapy (ACT)"
    MI = "MI", "Motivational interviewing (MI)"
    EMDR = "EMDR", "EMDR"
    PSYCHODYNAMIC = "psychodynamic", "Psychodynamic"
    BEHAVIORAL = "behavioral", "Behavioral"
    MINDFULNESS = "mindfulness", "Mindfulness-based"
    TRAUMA_FOCUSED = "trauma_focused", "Trauma-focused"
    FAMILY_SYSTEMS = "family_systems", "Family and systems"
    HUMANISTIC = "humanistic", "Humanistic"
    SOLUTION_FOCUSED = "solution_focused", "Solution-focused"
    INTERPERSONAL = "interpersonal", "Interpersonal"
    OTHER = "other", "Other"


class Category(models.TextChoices):
    CBT = "cbt", "CBT interventions"
    DBT_SKILLS = "dbt_skills", "DBT skills"
    RELAXATION = "relaxation", "Relaxation"
    BEHAVIORAL = "behavioral", "Behavioral"
    ACCEPTANCE_MINDFULNESS = "acceptance_mindfulness", "Acceptance and mindfulness"
    MOTIVATIONAL = "motivational", "Motivational"
    TRAUMA_FOCUSED = "trauma_focused", "Trauma-focused"
    PSYCHODYNAMIC = "psychodynamic", "Psychodynamic"
    FAMILY_RELATIONAL = "family_relational", "Family and relational"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation and skills"
    OTHER = "other", "Other"


class EvidenceLevel(models.TextChoices):
    STRONG = "strong", "Strong"
    MODERATE = "moderate", "Moderate"
    EMERGING = "emerging", "Emerging"


class InterventionQuerySet(models.QuerySet):
    def available_to(self, user) -> "InterventionQuerySet":
        """The system library plus the custom interventions of the user's own practice."""
        if not (user and user.is_authenticated and user.is_active):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(Q(is_system=True) | Q(practice_id=user.practice_id, practice__isnull=False))

    def active(self) -> "InterventionQuerySet":
        return self.filter(is_active=True)


class Intervention(models.Model):
    """An evidence-based intervention a goal can use: a system library entry or a practice's own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    modality = models.CharField(max_length=50, choices=Modality.choices)
    category = models.CharField(max_length=50, choices=Category.choices, default=Category.OTHER)
    evidence_level = models.CharField(max_length=20, choices=EvidenceLevel.choices, blank=True)
    is_system = models.BooleanField(default=False, help_text="Part of the built-in library; nobody edits it.")
    is_active = models.BooleanField(default=True, help_text="Retired interventions stay on the goals that use them.")
    practice = models.ForeignKey(
        "accounts.Practice", on_delete=models.PROTECT, null=True, blank=True, related_name="interventions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InterventionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["modality", "name"]),
            models.Index(fields=["practice", "name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_system=True, practice__isnull=True) | Q(is_system=False, practice__isnull=False),
                name="intervention_system_xor_practice",
            ),
            models.UniqueConstraint(
                Lower("name"), condition=Q(practice__isnull=True), name="intervention_system_name_unique"
            ),
            models.UniqueConstraint(
                Lower("name"),
                "practice",
                condition=Q(practice__isnull=False),
                name="intervention_name_unique_in_practice",
            ),
        ]

    def __str__(self):
        return self.name
