import datetime
import uuid
import zoneinfo

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


def _time_zone_choices():
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


#: The longest a practice may set its review reminders ahead of the review date (days).
MAX_REVIEW_LEAD_DAYS = 60


class PaperSize(models.TextChoices):
    LETTER = "letter", "US Letter"
    A4 = "a4", "A4"


class Practice(models.Model):
    """A mental-health practice: the tenant that owns staff, patients, plans and settings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", choices=_time_zone_choices)
    default_review_frequency_days = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    review_reminder_lead_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_LEAD_DAYS)],
        help_text="How many days before a plan's review date its therapist is reminded (and it shows as due soon).",
    )
    review_reminder_hour = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(23)],
        help_text="The hour of the practice's day (in its time zone, 0-23) from which the day's review reminders "
        "are sent.",
    )
    mfa_required = models.BooleanField(
        "MFA required",
        default=True,
        help_text="Staff must sign in with a second factor (an authenticator app's code); those without one enrol "
        "at their next sign-in.",
    )
    address = models.TextField(
        blank=True, max_length=500, help_text="The postal address printed on the treatment-plan document."
    )
    # --- signed plans -------------------------------------------------------------------------------
    require_client_signature = models.BooleanField(
        default=True,
        help_text="A plan is fully signed only with the client's (or guardian's) signature, or a documented "
        "reason why it was declined or could not be given.",
    )
    signature_reminder_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="Days after a plan's start date after which a plan still not fully signed raises a reminder.",
    )
    require_signed_plan_for_progress = models.BooleanField(
        default=False,
        help_text="Progress and sessions can be recorded only against a plan that has been fully signed.",
    )
    document_paper_size = models.CharField(
        max_length=10,
        choices=PaperSize.choices,
        default=PaperSize.LETTER,
        help_text="The paper size of the treatment-plan document and progress reports.",
    )
    # --- measurement-based care ---------------------------------------------------------------------
    measure_every_sessions = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="A plan's standardized measures are due again after this many sessions (the plan can override).",
    )
    measure_every_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="... or after this many days, whichever comes first (the plan can override).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def now(self) -> datetime.datetime:
        """The time on the practice's clock."""
        return timezone.now().astimezone(self.zoneinfo)

    def today(self) -> datetime.date:
        """The date on the practice's calendar: review dates and session dates are the practice's days."""
        return self.now().date()
