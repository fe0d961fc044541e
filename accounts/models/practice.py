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
