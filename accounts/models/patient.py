import uuid

from django.conf import settings
from django.db import models
from guardian.models import UserObjectPermissionBase

from accounts.access import PatientQuerySet, PatientScopedQuerySet
from accounts.validators import validate_birth_date

#: What staff edit about a patient (forms, admin, API and the audit diff all use this list).
DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "external_id",
    "email",
    "phone",
    "address",
    "emergency_contact",
    "status",
)


class Patient(models.Model):
    """A client of the practice, with a primary therapist and a care team who treat them."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"
        DISCHARGED = "discharged", "Discharged"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey("accounts.Practice", on_delete=models.PROTECT, related_name="patients")
    external_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The partner system's identifier (MRN), unique within the practice.",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(validators=[validate_birth_date])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.TextField(blank=True)
    emergency_contact = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    primary_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="primary_patients",
        null=True,
        blank=True,
    )
    care_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="accounts.CareTeamMembership",
        related_name="care_team_patients",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["practice", "status"]),
            models.Index(fields=["practice", "last_name", "first_name"]),
            models.Index(fields=["primary_therapist", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "external_id"],
                condition=~models.Q(external_id=""),
                name="patient_external_id_unique_in_practice",
            )
        ]

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("patient-detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def initials(self) -> str:
        """What a notification may show instead of a name (no PHI in email)."""
        return f"{self.first_name[:1]}.{self.last_name[:1]}.".upper()


class CareTeamMembership(models.Model):
    """A clinician on a patient's care team besides (or as) the primary therapist."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="care_team_memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_team_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = PatientScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "user"], name="care_team_member_once"),
        ]

    def __str__(self):
        return f"{self.user} on {self.patient}'s care team"


class PatientUserObjectPermission(UserObjectPermissionBase):
    """A guardian grant on one patient: a direct foreign key, so checks are indexed joins."""

    content_object = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="user_grants")

    @property
    def patient(self) -> Patient:
        """The patient the grant is on (for the audit trail, as every patient-data record names one)."""
        return self.content_object

    class Meta(UserObjectPermissionBase.Meta):
        # The base's unique (user, permission, content_object) is the index every check uses.
        verbose_name = "patient access grant"
