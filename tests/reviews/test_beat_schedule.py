"""The reviews app's schedule in celery-beat (migrations reviews 0003, 0004 and 0005): the hourly reminder sweep,
the monthly progress reports (made up on the 2nd to the 7th) and the recovery of stalled and unclaimed renders
every 2 minutes, as editable database rows naming tasks the worker knows; reversing the migrations removes them.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django_celery_beat.models import PeriodicTask

from config.celery import app

pytestmark = pytest.mark.django_db

schedule = importlib.import_module("reviews.migrations.0003_beat_review_schedule")
recovery = importlib.import_module("reviews.migrations.0004_progressreport_started_at")
outage = importlib.import_module("reviews.migrations.0005_report_requeue_schedule")

EXPECTED = {
    "Send plan review reminders": ("reviews.send_review_reminders", ("0", "*", "*", "*", "*")),
    "Generate monthly progress reports": ("reviews.generate_monthly_reports", ("30", "12", "*", "1-7", "*")),
    "Recover stalled progress reports": ("reviews.recover_stalled_reports", ("*/2", "*", "*", "*", "*")),
}
#: What 0003 and 0004 scheduled, before 0005 made the schedule survive a broker outage.
BEFORE_0005 = {
    "Send plan review reminders": ("0", "7", "*", "*", "*"),
    "Generate monthly progress reports": ("30", "12", "*", "1", "*"),
    "Recover stalled progress reports": ("*/10", "*", "*", "*", "*"),
}


def rows():
    return {task.name: task for task in PeriodicTask.objects.filter(name__in=EXPECTED).select_related("crontab")}


def crons():
    return {
        name: (
            task.crontab.minute,
            task.crontab.hour,
            task.crontab.day_of_week,
            task.crontab.day_of_month,
            task.crontab.month_of_year,
        )
        for name, task in rows().items()
    }


def test_after_migrate_both_tasks_are_scheduled_and_enabled():
    found = rows()

    assert set(found) == set(EXPECTED)
    for name, (task, cron) in EXPECTED.items():
        row = found[name]
        assert row.task == task
        assert row.enabled
        assert row.crontab is not None and row.interval is None
        crontab = row.crontab
        assert (
            crontab.minute,
            crontab.hour,
            crontab.day_of_week,
            crontab.day_of_month,
            crontab.month_of_year,
        ) == cron
        assert str(crontab.timezone) == "UTC"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_scheduled_tasks_are_registered_with_the_worker(name):
    app.loader.import_default_modules()

    assert EXPECTED[name][0] in app.tasks


def test_reversing_the_migrations_removes_the_rows_and_reapplying_restores_them():
    outage.unschedule(django_apps, None)
    assert crons() == BEFORE_0005
    recovery.unschedule(django_apps, None)
    schedule.remove(django_apps, None)
    assert rows() == {}
    assert PeriodicTask.objects.filter(name="Purge expired sessions and API tokens").exists()  # not ours: kept

    for _ in range(2):  # re-running changes nothing
        schedule.create(django_apps, None)
        recovery.schedule(django_apps, None)
        outage.reschedule(django_apps, None)

    assert crons() == {name: cron for name, (_, cron) in EXPECTED.items()}
    assert PeriodicTask.objects.filter(name__in=EXPECTED).count() == 3


def test_an_admins_change_to_the_schedule_survives_a_rerun():
    PeriodicTask.objects.filter(name="Send plan review reminders").update(enabled=False)

    schedule.create(django_apps, None)

    assert not rows()["Send plan review reminders"].enabled


def test_a_time_an_admin_set_is_kept_by_the_reschedule_both_ways():
    from django_celery_beat.models import CrontabSchedule

    outage.unschedule(django_apps, None)
    six = CrontabSchedule.objects.create(minute="15", hour="6", day_of_week="1-5", timezone="UTC")
    PeriodicTask.objects.filter(name="Send plan review reminders").update(crontab=six)

    outage.reschedule(django_apps, None)
    assert crons()["Send plan review reminders"] == ("15", "6", "1-5", "*", "*")
    assert crons()["Recover stalled progress reports"] == ("*/2", "*", "*", "*", "*")  # the others move

    outage.unschedule(django_apps, None)
    assert crons()["Send plan review reminders"] == ("15", "6", "1-5", "*", "*")
