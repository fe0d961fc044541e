"""The daily review-reminder sweep and the monthly progress reports, in celery-beat's editable schedule."""

from django.db import migrations

#: (name, task, crontab): an admin may change the times in Django admin; the names identify the rows.
#: Monthly reports run at 12:30 UTC on the 1st: that is the 1st (or the 2nd) in every time zone, so each
#: practice's "last month" is the month that just ended.
SCHEDULE = [
    (
        "Send plan review reminders",
        "reviews.send_review_reminders",
        {"minute": "0", "hour": "7", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
    ),
    (
        "Generate monthly progress reports",
        "reviews.generate_monthly_reports",
        {"minute": "30", "hour": "12", "day_of_week": "*", "day_of_month": "1", "month_of_year": "*"},
    ),
]


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, crontab in SCHEDULE:
        schedule, _ = CrontabSchedule.objects.get_or_create(**crontab, timezone="UTC")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": schedule, "enabled": True})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_plan_version_append_only"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
