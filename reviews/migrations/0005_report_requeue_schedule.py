"""When a report was asked for and last queued, and a schedule that survives a broker outage.

- `requested_at` and `queued_at` let the recovery sweep send again the `pending` reports whose message the
  broker never accepted or lost, and fail the ones never picked up; existing rows take their `created_at`.
- The recovery runs every 2 minutes (was 10), so a report asked for while the broker was down is sent
  soon after it is back.
- The review-reminder sweep runs hourly (was daily at 07:00 UTC): a beat message lost to a broker outage
  is made up an hour later, and the sweep sends each reminder once however often it runs.
- The monthly reports are asked for at 12:30 UTC on each of the 1st to the 7th (was the 1st only): the run
  asks once per plan and month, so the later days only catch up a run the broker lost.

A schedule an admin has changed in Django admin is left as it is, both ways.
"""

from django.db import migrations, models
from django.db.models import F
from django.utils import timezone

EVERY = {"day_of_week": "*", "month_of_year": "*"}
#: name: (the crontab this migration found, the crontab it sets)
RESCHEDULE = {
    "Recover stalled progress reports": (
        {"minute": "*/10", "hour": "*", "day_of_month": "*", **EVERY},
        {"minute": "*/2", "hour": "*", "day_of_month": "*", **EVERY},
    ),
    "Send plan review reminders": (
        {"minute": "0", "hour": "7", "day_of_month": "*", **EVERY},
        {"minute": "0", "hour": "*", "day_of_month": "*", **EVERY},
    ),
    "Generate monthly progress reports": (
        {"minute": "30", "hour": "12", "day_of_month": "1", **EVERY},
        {"minute": "30", "hour": "12", "day_of_month": "1-7", **EVERY},
    ),
}


def _move(apps, *, forward):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (before, after) in RESCHEDULE.items():
        old, new = (before, after) if forward else (after, before)
        task = PeriodicTask.objects.filter(name=name, crontab__isnull=False).select_related("crontab").first()
        if task is None or str(task.crontab.timezone) != "UTC":
            continue
        if any(getattr(task.crontab, field) != value for field, value in old.items()):
            continue  # an admin changed it: theirs stands
        task.crontab, _ = CrontabSchedule.objects.get_or_create(**new, timezone="UTC")
        task.save(update_fields=["crontab"])


def reschedule(apps, schema_editor):
    _move(apps, forward=True)


def unschedule(apps, schema_editor):
    _move(apps, forward=False)


def backfill(apps, schema_editor):
    ProgressReport = apps.get_model("reviews", "ProgressReport")
    ProgressReport.objects.update(requested_at=F("created_at"), queued_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0004_progressreport_started_at"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="progressreport",
            name="requested_at",
            field=models.DateTimeField(default=timezone.now),
        ),
        migrations.AddField(
            model_name="progressreport",
            name="queued_at",
            field=models.DateTimeField(blank=True, default=timezone.now, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(reschedule, unschedule),
    ]
