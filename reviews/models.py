"""Reviews of plans, the versions they seal, review reminders and notifications, PDF progress reports."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.access import PatientScopedQuerySet
from accounts.validators import validate_clinical_date


class PlanScopedQuerySet(PatientScopedQuerySet):
    """Reviews, versions, reminders and reports follow their plan's patient."""

    patient_lookup = "plan__patient"


class PlanReview(models.Model):
    """A periodic review of a plan: what was found, what changed, when the next review is due."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("treatment.TreatmentPlan", on_delete=models.PROTECT, related_name="reviews")
    review_date = models.DateField(validators=[validate_clinical_date])
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = models.TextField()
    goals_reviewed = models.PositiveIntegerField(default=0)
    goals_on_track = models.PositiveIntegerField(default=0)
    modifications_made = models.TextField(blank=True)
    next_review_date = models.DateField(validators=[validate_clinical_date])
    #: The plan version this review sealed (its snapshot is `PlanVersion(number=version)`).
    version = models.PositiveIntegerField()
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlanScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-review_date", "-created_at"]
        indexes = [models.Index(fields=["plan", "review_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(goals_on_track__lte=models.F("goals_reviewed")), name="review_on_track_le_reviewed"
            ),
            models.CheckConstraint(
                condition=Q(next_review_date__gt=models.F("review_date")), name="review_next_after_review"
            ),
            models.CheckConstraint(
                condition=Q(cosigned_by__isnull=True, cosigned_at__isnull=True)
                | Q(cosigned_by__isnull=False, cosigned_at__isnull=False),
                name="review_cosign_complete",
            ),
            models.UniqueConstraint(fields=["plan", "version"], name="review_once_per_version"),
        ]

    def __str__(self):
        return f"Review of {self.plan} on {self.review_date:%Y-%m-%d}"

    @property
    def patient(self):
        return self.plan.patient


class PlanVersion(models.Model):
    """An immutable snapshot of a whole plan (goals, progress, interventions, diagnoses) as reviewed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("treatment.TreatmentPlan", on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    review = models.OneToOneField(
        PlanReview, on_delete=models.PROTECT, null=True, blank=True, related_name="sealed_version"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlanScopedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_once")]

    def __str__(self):
        return f"{self.plan} v{self.number}"

    @property
    def patient(self):
        return self.plan.patient


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Review due soon"
    DUE = "due", "Review due today"
    OVERDUE = "overdue", "Review overdue"


class AlertKind(models.TextChoices):
    """The notifications a measurement sends (`reviews.services.measure_alerts`)."""

    SAFETY_FLAG = "safety_flag", "Safety flag raised"
    DETERIORATION = "measure_deterioration", "Reliable deterioration"


class ReviewReminder(models.Model):
    """One reminder of one kind for one plan and due date: the unique constraint makes the sweep idempotent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("treatment.TreatmentPlan", on_delete=models.CASCADE, related_name="review_reminders")
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    due_date = models.DateField(validators=[validate_clinical_date])
    created_at = models.DateTimeField(auto_now_add=True)
    #: Set when a review is recorded (or the plan closes): the reminder no longer asks for anything.
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = PlanScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["plan", "resolved_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ReminderKind.values), name="reminder_kind_valid"),
            models.UniqueConstraint(fields=["plan", "kind", "due_date"], name="reminder_once_per_kind_and_due_date"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.due_date:%Y-%m-%d})"

    @property
    def patient(self):
        return self.plan.patient


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user's own notifications, unread first, newest first."""
        return self.filter(recipient=user).order_by(models.F("read_at").asc(nulls_first=True), "-created_at")

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one user. Its text carries no PHI beyond patient initials."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    #: A path inside Trellis (the plan page, a report), never an outside address.
    link = models.CharField(max_length=300, blank=True)
    plan = models.ForeignKey(
        "treatment.TreatmentPlan", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reminder = models.ForeignKey(
        ReviewReminder, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    #: The measurement an alert is about (a safety flag it raised, a reliable deterioration it showed).
    measurement = models.ForeignKey(
        "treatment.Measurement", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"])]
        constraints = [
            # A reminder reaches each recipient once, however often the sweep runs.
            models.UniqueConstraint(
                fields=["reminder", "recipient"],
                condition=Q(reminder__isnull=False),
                name="notification_once_per_reminder",
            ),
            # A measurement alerts each recipient once per kind (a safety flag, a deterioration).
            models.UniqueConstraint(
                fields=["measurement", "kind", "recipient"],
                condition=Q(measurement__isnull=False),
                name="notification_once_per_measurement_kind",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def patient(self):
        """The patient the notification is about (by its plan or measurement), for the audit trail; None if none."""
        if self.plan is not None:
            return self.plan.patient
        return self.measurement.patient if self.measurement is not None else None


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ProgressReport(models.Model):
    """A PDF progress report of one plan over a period, rendered by a worker and stored in MEDIA_ROOT."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey("treatment.TreatmentPlan", on_delete=models.PROTECT, related_name="progress_reports")
    period_start = models.DateField(validators=[validate_clinical_date])
    period_end = models.DateField(validators=[validate_clinical_date])
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    file = models.FileField(upload_to="progress-reports/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: When the current (or last) render was claimed: a render still `rendering` long after the time limit
    #: was stopped without finishing (its worker killed), and `reports_recover_stalled` picks it up again.
    started_at = models.DateTimeField(null=True, blank=True)
    #: When it was asked for, or asked for again ("render again"): still `pending` long after, it is `failed`.
    requested_at = models.DateTimeField(default=timezone.now)
    #: When its render was last handed to the broker; null while the broker has not accepted one (it was down),
    #: so the recovery sweep sends it again (`reports_requeue_unclaimed`).
    queued_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    #: Whether the PDF lists each session's notes, progress notes and addenda (the narrative), not only the figures.
    include_narratives = models.BooleanField(default=True)
    #: Null for the monthly reports celery-beat asks for.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = PlanScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["plan", "created_at"]), models.Index(fields=["status", "started_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="report_status_valid"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="report_period_ordered"),
            models.CheckConstraint(condition=~Q(status="ready") | ~Q(file=""), name="report_ready_has_file"),
            # The monthly run asks once per plan and period, however many times beat fires.
            models.UniqueConstraint(
                fields=["plan", "period_start", "period_end"],
                condition=Q(requested_by__isnull=True),
                name="scheduled_report_once_per_period",
            ),
        ]

    def __str__(self):
        return f"Progress report {self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d} for {self.plan}"

    @property
    def patient(self):
        return self.plan.patient
