import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.access import PatientScopedQuerySet
from accounts.models import AppendOnlyModel, AppendOnlyQuerySetMixin
from accounts.validators import validate_clinical_date


class SessionQuerySet(PatientScopedQuerySet):
    patient_lookup = "patient"


class SessionInterventionQuerySet(PatientScopedQuerySet):
    patient_lookup = "session__patient"


class TherapySession(models.Model):
    """A therapy session that carries out a plan: when, how long, which goals it addressed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="therapy_sessions")
    plan = models.ForeignKey(
        "treatment.TreatmentPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    session_date = models.DateField(validators=[validate_clinical_date])
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(600)])
    notes = models.TextField(blank=True)
    goals_addressed = models.ManyToManyField("treatment.TreatmentGoal", blank=True, related_name="sessions")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-session_date", "-created_at"]
        indexes = [
            models.Index(fields=["patient", "session_date"]),
            models.Index(fields=["plan", "session_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=600), name="session_duration_range"
            ),
        ]

    def __str__(self):
        return f"Session on {self.session_date:%Y-%m-%d}"


class SessionIntervention(models.Model):
    """An intervention delivered in a session, for a goal when the therapist names one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(TherapySession, on_delete=models.CASCADE, related_name="session_interventions")
    intervention = models.ForeignKey("interventions.Intervention", on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey(
        "treatment.TreatmentGoal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = SessionInterventionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "intervention", "goal"], name="session_intervention_once_per_goal"
            ),
        ]

    def __str__(self):
        return f"{self.intervention} in {self.session}"

    @property
    def patient(self):
        return self.session.patient


#: The longest addendum (characters): a correction of a note, not a second record.
ADDENDUM_MAX_LENGTH = 5000
APPEND_ONLY = "Session addenda are append-only: a correction is a new addendum."


class SessionAddendumQuerySet(AppendOnlyQuerySetMixin, PatientScopedQuerySet):
    patient_lookup = "session__patient"


class SessionAddendum(AppendOnlyModel):
    """A correction appended to a session's record (text, author, time); never edited or removed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(TherapySession, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(validators=[MaxLengthValidator(ADDENDUM_MAX_LENGTH)])
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SessionAddendumQuerySet.as_manager()
    append_only_refusal = APPEND_ONLY

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "session addenda"
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="session_addendum_has_text")]

    def __str__(self):
        return f"Addendum to {self.session} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def patient(self):
        return self.session.patient
