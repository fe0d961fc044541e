import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    SUPERVISOR = "supervisor", "Supervisor"
    PRACTICE_ADMIN = "practice_admin", "Practice admin"


#: The roles that treat patients (a supervisor may carry a caseload; an admin never does).
CLINICAL_ROLES = (Role.THERAPIST, Role.SUPERVISOR)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def clinicians(self, practice_id=None):
        """Active staff who can treat patients, in one practice when given."""
        staff = self.filter(is_active=True, role__in=CLINICAL_ROLES)
        return staff if practice_id is None else staff.filter(practice_id=practice_id)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff who logs in with an email address.

    `role` is the one source of truth for what the person does in the practice; a supervisor may also
    carry a caseload. `is_staff` (Django admin access) follows from the role, it is not stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    credentials = models.CharField(max_length=100, blank=True, help_text="License or credential, e.g. LCSW, PsyD, LPC.")
    license_number = models.CharField(max_length=50, blank=True)
    practice = models.ForeignKey(
        "accounts.Practice", on_delete=models.PROTECT, related_name="staff", null=True, blank=True
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.THERAPIST)
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisees",
        help_text="The clinical supervisor who reads this therapist's patients' records.",
    )
    needs_supervision = models.BooleanField(
        default=False,
        help_text="This clinician's treatment plans need their supervisor's co-signature before they are signed.",
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["full_name", "email"]
        indexes = [models.Index(fields=["practice", "role"])]

    def __str__(self):
        if self.full_name and self.credentials:
            return f"{self.full_name}, {self.credentials}"
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.supervisor_id:
            if self.supervisor_id == self.pk:
                raise ValidationError({"supervisor": "Nobody can supervise themselves."})
            if self.supervisor.practice_id != self.practice_id:
                raise ValidationError({"supervisor": "The supervisor must work in the same practice."})
            if self.supervisor.role != Role.SUPERVISOR:
                raise ValidationError({"supervisor": "That person does not have the supervisor role."})

    @property
    def is_staff(self) -> bool:
        """Django admin is for practice admins (their practice only) and platform superusers."""
        return self.is_active and self.acts_for_practice()

    def acts_for_practice(self, practice_id: uuid.UUID | None = None) -> bool:
        """Whether this person acts for a practice, not only for their own caseload: a platform superuser, or
        a practice admin (of the practice `practice_id` when it is given). They assign, transfer and record
        on another clinician's behalf."""
        if self.is_superuser:
            return True
        return self.role == Role.PRACTICE_ADMIN and (practice_id is None or self.practice_id == practice_id)

    @property
    def is_practice_admin(self) -> bool:
        return self.role == Role.PRACTICE_ADMIN

    @property
    def is_supervisor(self) -> bool:
        return self.role == Role.SUPERVISOR

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email
