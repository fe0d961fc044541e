import datetime
import hashlib
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from accounts.access import PatientScopedQuerySet
from accounts.models import AppendOnlyModel, AppendOnlyQuerySetMixin
from accounts.validators import validate_clinical_date, validate_no_nul


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"


#: Statuses a plan never leaves: its record is closed.
CLOSED_STATUSES = (PlanStatus.COMPLETED, PlanStatus.DISCONTINUED)

#: Which status may follow which; anything else is refused.
PLAN_TRANSITIONS = {
    PlanStatus.ACTIVE: {PlanStatus.ON_HOLD, PlanStatus.COMPLETED, PlanStatus.DISCONTINUED},
    PlanStatus.ON_HOLD: {PlanStatus.ACTIVE, PlanStatus.COMPLETED, PlanStatus.DISCONTINUED},
    PlanStatus.COMPLETED: set(),
    PlanStatus.DISCONTINUED: set(),
}


class ReviewStatus(models.TextChoices):
    CURRENT = "current", "Current"
    DUE_SOON = "due_soon", "Due soon"
    DUE = "due", "Due today"
    OVERDUE = "overdue", "Overdue"
    NOT_REQUIRED = "not_required", "Not required (plan closed)"


class SignatureStatus(models.TextChoices):
    """Where a plan stands on its signatures (kept by the signing service in `reviews.signing`)."""

    UNSIGNED = "unsigned", "Unsigned"
    AWAITING_CLIENT = "awaiting_client", "Awaiting the client's signature"
    AWAITING_SUPERVISOR = "awaiting_supervisor", "Awaiting the supervisor's co-signature"
    SIGNED = "signed", "Signed"
    AMENDED_UNSIGNED = "amended_unsigned", "Amended since signed"


class TreatmentPlanQuerySet(PatientScopedQuerySet):
    patient_lookup = "patient"

    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)


class TreatmentPlan(models.Model):
    """One patient's treatment plan: diagnoses, presenting problems, dates, status and review schedule."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="treatment_plans")
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_plans")
    title = models.CharField(max_length=200)
    diagnosis_codes = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_no_nul],
        help_text='ICD-10-CM diagnoses: [{"code": "F41.1", "description": "..."}].',
    )
    presenting_problems = models.JSONField(
        default=list, blank=True, validators=[validate_no_nul], help_text="A list of short phrases."
    )
    start_date = models.DateField(validators=[validate_clinical_date])
    target_end_date = models.DateField(null=True, blank=True, validators=[validate_clinical_date])
    actual_end_date = models.DateField(null=True, blank=True, validators=[validate_clinical_date])
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    status_reason = models.TextField(
        blank=True,
        max_length=2000,
        validators=[validate_no_nul],
        help_text="Why the plan was completed or discontinued (required to close it).",
    )
    review_frequency_days = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    next_review_date = models.DateField(null=True, blank=True, validators=[validate_clinical_date])
    version = models.PositiveIntegerField(default=1)
    notes = models.TextField(blank=True)
    overall_progress = models.PositiveSmallIntegerField(
        default=0, help_text="Weighted average of the long-term goals' progress (weight 1/priority)."
    )
    # Signatures live with the versions they seal (`reviews`); the plan keeps where it stands so that
    # treatment's own writes know when a change is an amendment, and lists can filter without a join.
    signature_status = models.CharField(
        max_length=20, choices=SignatureStatus.choices, default=SignatureStatus.UNSIGNED
    )
    #: The number of the last fully signed `PlanVersion`: the plan in force. Null until one is.
    signed_version = models.PositiveIntegerField(null=True, blank=True)
    #: When a clinician first signed the plan: from then on every change to it is an amendment with a reason.
    first_signed_at = models.DateTimeField(null=True, blank=True)
    # Measurement-based care: which instruments the plan administers besides its objectives' own, and how
    # often (null: the practice's `measure_every_sessions` / `measure_every_days`).
    measure_instruments = models.JSONField(
        default=list, blank=True, help_text='Instrument codes the plan administers, e.g. ["phq9"].'
    )
    measure_every_sessions = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    measure_every_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TreatmentPlanQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-created_at"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["therapist", "status"]),
            # The review sweep and the "due for review" lists: open plans by review date.
            models.Index(fields=["status", "next_review_date"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="plan_status_valid"),
            models.CheckConstraint(
                condition=Q(signature_status__in=SignatureStatus.values), name="plan_signature_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(review_frequency_days__gte=1, review_frequency_days__lte=365),
                name="plan_review_frequency_range",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
            models.CheckConstraint(
                condition=Q(overall_progress__gte=0, overall_progress__lte=100), name="plan_overall_progress_range"
            ),
            models.CheckConstraint(
                condition=Q(target_end_date__isnull=True) | Q(target_end_date__gte=F("start_date")),
                name="plan_target_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(actual_end_date__isnull=True) | Q(actual_end_date__gte=F("start_date")),
                name="plan_actual_end_after_start",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("plan-detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def needs_amendment_reason(self) -> bool:
        """Whether a change to the plan or its goals must say why (it has been signed by a clinician)."""
        return self.first_signed_at is not None

    @property
    def etag(self) -> str:
        """Changes with every write to the plan, so a client can say which state it edited."""
        return _etag(self.pk, self.updated_at)

    def local_today(self) -> datetime.date:
        return self.patient.practice.today()

    def review_status(self, today: datetime.date | None = None) -> str:
        """Where the plan stands against its review date, by the calendar of the practice's time zone.

        "Due soon" starts the practice's reminder lead days before the date (7 by default, as the spec).
        """
        if self.is_closed:
            return ReviewStatus.NOT_REQUIRED
        if self.next_review_date is None:
            return ReviewStatus.CURRENT
        today = today or self.local_today()
        days = (self.next_review_date - today).days
        if days < 0:
            return ReviewStatus.OVERDUE
        if days == 0:
            return ReviewStatus.DUE
        if days <= self.patient.practice.review_reminder_lead_days:
            return ReviewStatus.DUE_SOON
        return ReviewStatus.CURRENT


AMENDMENT_APPEND_ONLY = "Plan amendments are append-only: a further change is a new amendment."


class PlanAmendmentQuerySet(AppendOnlyQuerySetMixin, PatientScopedQuerySet):
    patient_lookup = "plan__patient"


def _etag(pk, updated_at) -> str:
    digest = hashlib.sha256(f"{pk}:{updated_at.isoformat() if updated_at else ''}".encode()).hexdigest()
    return f'"{digest[:32]}"'


class PlanAmendment(AppendOnlyModel):
    """One change to a plan after its first clinician signature: why, who, when, and what changed. Append-only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="amendments")
    reason = models.TextField(max_length=2000, validators=[validate_no_nul])
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: What changed: ``[{"object": "plan" | "goal" | "goal_intervention", "id": "...", "label": "...",
    #: "action": "created" | "updated" | "removed", "fields": ["title", ...]}]``.
    changes = models.JSONField(default=list)
    #: The plan's `signed_version` when the change was made (the version it amends).
    amends_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlanAmendmentQuerySet.as_manager()
    append_only_refusal = AMENDMENT_APPEND_ONLY

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["plan", "created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="amendment_reason_given")]

    def __str__(self):
        return f"Amendment to {self.plan} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def patient(self):
        return self.plan.patient
