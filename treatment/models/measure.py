"""Standardized measures: scores a patient gave on an instrument, and the safety flags they raised.

A score is clinical data, like a session's note: it is never edited or removed, and a mistaken one is
corrected by a new measurement (the model refuses updates and deletes; on PostgreSQL a trigger refuses
them too, as for session addenda). A safety flag keeps its history: it is raised open and cleared once,
by a recorded `SafetyAssessment`; it is never removed.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from accounts.access import PatientScopedQuerySet
from accounts.models import AppendOnlyModel, AppendOnlyQuerySetMixin
from accounts.validators import validate_clinical_date, validate_no_nul
from treatment.instruments import INSTRUMENTS, validate_instrument

MEASUREMENT_APPEND_ONLY = "Measurements are append-only: a correction is a new measurement."
ASSESSMENT_APPEND_ONLY = "Safety assessments are append-only: a correction is a new assessment."
FLAG_KEPT = "Safety flags are kept: a flag is cleared by a recorded assessment, never removed."
ASSESSMENT_MAX_LENGTH = 5000


class MeasurementQuerySet(AppendOnlyQuerySetMixin, PatientScopedQuerySet):
    patient_lookup = "patient"


class Measurement(AppendOnlyModel):
    """One administration of an instrument to a patient: the answers, the total and band, who and when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="measurements")
    # No `choices` and no database check on the code: the registry is the list, and adding an instrument
    # to it must not need a migration. The service validates the code (`instrument_for`).
    instrument = models.CharField(max_length=20, validators=[validate_instrument])
    #: One int per item, in the instrument's order.
    answers = models.JSONField()
    total_score = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=40, blank=True)
    safety_flag = models.BooleanField(default=False)
    #: The practice's date it was administered on.
    administered_on = models.DateField(validators=[validate_clinical_date])
    session = models.ForeignKey(
        "treatment.TherapySession", on_delete=models.PROTECT, null=True, blank=True, related_name="measurements"
    )
    administered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MeasurementQuerySet.as_manager()
    append_only_refusal = MEASUREMENT_APPEND_ONLY

    class Meta:
        ordering = ["administered_on", "created_at"]
        indexes = [models.Index(fields=["patient", "instrument", "administered_on"])]

    def __str__(self):
        return f"{self.instrument_spec.short_name} {self.total_score} on {self.administered_on:%Y-%m-%d}"

    @property
    def instrument_spec(self):
        return INSTRUMENTS[self.instrument]


class SafetyAssessmentQuerySet(AppendOnlyQuerySetMixin, PatientScopedQuerySet):
    patient_lookup = "patient"


class SafetyAssessment(AppendOnlyModel):
    """A clinician's recorded risk assessment after a safety flag: who, when, what they found. Append-only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="safety_assessments")
    note = models.TextField(validators=[MaxLengthValidator(ASSESSMENT_MAX_LENGTH), validate_no_nul])
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SafetyAssessmentQuerySet.as_manager()
    append_only_refusal = ASSESSMENT_APPEND_ONLY

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(note=""), name="safety_assessment_has_note")]

    def __str__(self):
        return f"Safety assessment at {self.created_at:%Y-%m-%d %H:%M}"


class SafetyFlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLEARED = "cleared", "Cleared"


class SafetyFlagQuerySet(PatientScopedQuerySet):
    patient_lookup = "patient"

    def open(self):
        return self.filter(status=SafetyFlagStatus.OPEN)

    def delete(self):
        raise PermissionError(FLAG_KEPT)


class SafetyFlag(models.Model):
    """A safety concern a measurement raised (PHQ-9 item 9 above 0), open until an assessment clears it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("accounts.Patient", on_delete=models.PROTECT, related_name="safety_flags")
    #: One flag per measurement, however the service is called (the unique constraint decides).
    measurement = models.OneToOneField(Measurement, on_delete=models.PROTECT, related_name="safety_flag_record")
    reason = models.CharField(max_length=200)
    raised_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=SafetyFlagStatus.choices, default=SafetyFlagStatus.OPEN)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    assessment = models.ForeignKey(
        SafetyAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="cleared_flags"
    )

    objects = SafetyFlagQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [models.Index(fields=["patient", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SafetyFlagStatus.values), name="safety_flag_status_valid"),
            # Cleared means cleared by someone, at a time, with an assessment; open means none of them.
            models.CheckConstraint(
                condition=(
                    Q(
                        status=SafetyFlagStatus.OPEN,
                        cleared_by__isnull=True,
                        cleared_at__isnull=True,
                        assessment__isnull=True,
                    )
                    | Q(
                        status=SafetyFlagStatus.CLEARED,
                        cleared_by__isnull=False,
                        cleared_at__isnull=False,
                        assessment__isnull=False,
                    )
                ),
                name="safety_flag_cleared_with_assessment",
            ),
        ]

    def __str__(self):
        return f"Safety flag ({self.get_status_display().lower()}) raised {self.raised_at:%Y-%m-%d}"

    def delete(self, *args, **kwargs):
        raise PermissionError(FLAG_KEPT)
