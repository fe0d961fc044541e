"""Reviews of plans, the versions they seal, review reminders and notifications, PDF progress reports."""

import base64
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.access import PatientScopedQuerySet
from accounts.models import AppendOnlyModel, AppendOnlyQuerySetMixin, PaperSize
from accounts.validators import validate_clinical_date


class PlanScopedQuerySet(PatientScopedQuerySet):
    """Reviews, versions, reminders and reports follow their plan's patient."""

    patient_lookup = "plan__patient"


class PlanDocumentQuerySet(PatientScopedQuerySet):
    """Documents follow their version's plan's patient."""

    patient_lookup = "version__plan__patient"


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


class SignatureRole(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    CLIENT = "client", "Client"
    GUARDIAN = "guardian", "Guardian"
    SUPERVISOR = "supervisor", "Supervisor"


class SignatureMethod(models.TextChoices):
    """How a signature was made. Staff attest by re-entering their password (and their authenticator code
    when they have one): `password` / `mfa`. A client or guardian draws or types; `declined` and `unable`
    are recorded by the clinician with the reason, and satisfy the client signature as the rules allow."""

    PASSWORD = "password", "Password re-entered"
    MFA = "mfa", "Password and authenticator code re-entered"
    DRAWN = "drawn", "Drawn on screen"
    TYPED = "typed", "Typed name"
    DECLINED = "declined", "Declined to sign"
    UNABLE = "unable", "Unable to sign"


#: The roles staff sign in, and the methods each side may use.
STAFF_SIGNATURE_ROLES = (SignatureRole.CLINICIAN, SignatureRole.SUPERVISOR)
CLIENT_SIGNATURE_ROLES = (SignatureRole.CLIENT, SignatureRole.GUARDIAN)
STAFF_SIGNATURE_METHODS = (SignatureMethod.PASSWORD, SignatureMethod.MFA)
CLIENT_SIGNATURE_METHODS = (
    SignatureMethod.DRAWN,
    SignatureMethod.TYPED,
    SignatureMethod.DECLINED,
    SignatureMethod.UNABLE,
)
REASON_METHODS = (SignatureMethod.DECLINED, SignatureMethod.UNABLE)
SIGNATURE_APPEND_ONLY = "Plan signatures are append-only: a signature is never edited or removed."


class PlanSignatureQuerySet(AppendOnlyQuerySetMixin, PlanScopedQuerySet):
    """Signatures follow their plan's patient, and are never updated or deleted in bulk either."""


class PlanSignature(AppendOnlyModel):
    """One signature of one sealed plan version: who signed, in which role, how, what they were shown, and
    the SHA-256 of the version's canonical JSON. Append-only (the ORM here, a trigger on PostgreSQL)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="signatures")
    #: The version's plan, kept beside it so a plan's signatures are one indexed query.
    plan = models.ForeignKey("treatment.TreatmentPlan", on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField(max_length=20, choices=SignatureRole.choices)
    #: The member of staff who signed; null for a client or guardian (who have no account).
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: Who put the signature on record: the signer for staff, the clinician holding the tablet for a client.
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: The printed name: for staff their name and credentials at the time of signing.
    signer_name = models.CharField(max_length=200)
    #: For staff, their licence number at the time of signing (the plan document prints it).
    signer_license = models.CharField(max_length=50, blank=True)
    #: A guardian's relationship to the client ("mother", "legal guardian").
    relationship = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=20, choices=SignatureMethod.choices)
    #: Why the client declined or was unable to sign (required for those methods).
    reason = models.TextField(blank=True, max_length=2000)
    #: The exact statement of intent shown to the signer (ESIGN/UETA intent).
    intent_statement = models.TextField()
    #: A drawn signature as PNG bytes (validated, size-limited). In the row, not a file: the append-only
    #: trigger then covers the image too, and no file on disk can be swapped or lost apart from its record.
    image = models.BinaryField(null=True, blank=True)
    #: SHA-256 (hex) of the signed version's canonical JSON (`reviews.services.signatures.canonical_json`).
    content_hash = models.CharField(max_length=64)
    signed_at = models.DateTimeField(default=timezone.now)

    objects = PlanSignatureQuerySet.as_manager()
    append_only_refusal = SIGNATURE_APPEND_ONLY

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["plan", "signed_at"]), models.Index(fields=["version", "role"])]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=SignatureRole.values), name="signature_role_valid"),
            models.CheckConstraint(condition=Q(method__in=SignatureMethod.values), name="signature_method_valid"),
            models.CheckConstraint(
                condition=Q(role__in=STAFF_SIGNATURE_ROLES, method__in=STAFF_SIGNATURE_METHODS, signer__isnull=False)
                | Q(role__in=CLIENT_SIGNATURE_ROLES, method__in=CLIENT_SIGNATURE_METHODS, signer__isnull=True),
                name="signature_method_fits_role",
            ),
            models.CheckConstraint(
                condition=~Q(method__in=REASON_METHODS) | ~Q(reason=""), name="signature_reason_when_not_signed"
            ),
            models.CheckConstraint(
                condition=Q(method=SignatureMethod.DRAWN, image__isnull=False)
                | (~Q(method=SignatureMethod.DRAWN) & Q(image__isnull=True)),
                name="signature_image_when_drawn",
            ),
            models.CheckConstraint(
                condition=~Q(role=SignatureRole.GUARDIAN) | ~Q(relationship=""),
                name="signature_guardian_relationship",
            ),
            models.CheckConstraint(condition=~Q(signer_name=""), name="signature_signer_named"),
            models.CheckConstraint(condition=~Q(intent_statement=""), name="signature_intent_shown"),
            models.CheckConstraint(condition=Q(content_hash__regex=r"^[0-9a-f]{64}$"), name="signature_hash_sha256"),
        ]

    def __str__(self):
        return f"{self.get_role_display()} signature of {self.version} ({self.get_method_display().lower()})"

    @property
    def patient(self):
        return self.plan.patient

    @property
    def has_image(self) -> bool:
        return self.image is not None

    @property
    def image_data_url(self) -> str:
        """The drawn signature as a data URL (for an <img> on a page or in the PDF); empty when none."""
        if self.image is None:
            return ""
        return "data:image/png;base64," + base64.b64encode(bytes(self.image)).decode("ascii")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Review due soon"
    DUE = "due", "Review due today"
    OVERDUE = "overdue", "Review overdue"
    #: The plan is still not fully signed `Practice.signature_reminder_days` after its start date.
    UNSIGNED = "unsigned", "Plan not yet signed"


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


class PlanDocument(models.Model):
    """The PDF treatment-plan document of one signed version on one paper size, rendered once by a worker.

    The states and the recovery are the progress reports' (`reviews.services.rendering`): the row is the truth.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="documents")
    paper_size = models.CharField(max_length=10, choices=PaperSize.choices)
    status = models.CharField(max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    file = models.FileField(upload_to="plan-documents/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = PlanDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "started_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReportStatus.values), name="document_status_valid"),
            models.CheckConstraint(condition=Q(paper_size__in=PaperSize.values), name="document_paper_size_valid"),
            models.CheckConstraint(condition=~Q(status="ready") | ~Q(file=""), name="document_ready_has_file"),
            # Rendered once: asking again for the same version and paper gives back the same row.
            models.UniqueConstraint(fields=["version", "paper_size"], name="document_once_per_version_and_paper"),
        ]

    def __str__(self):
        return f"Treatment-plan document of {self.version} ({self.get_paper_size_display()})"

    @property
    def plan(self):
        return self.version.plan

    @property
    def patient(self):
        return self.version.plan.patient
