"""`manage.py send_review_reminders` and the Celery task `reviews.send_review_reminders`: both run the one sweep.

Covers: --today at 7 days before, on and after a plan's review date (what is sent, what the command says),
re-running sends nothing twice, the practices' own dates when --today is left out, a date that is not one
exits non-zero with a sentence, and the task (called as beat calls it, and with a date) with its retries.
"""

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import OperationalError

from reviews.models import Notification, ReviewReminder
from reviews.tasks import send_reminder_emails, send_review_reminders
from tests.factories import PlanFactory

pytestmark = pytest.mark.usefixtures("no_unsigned_plan_pass")

DUE = datetime.date(2026, 10, 8)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def plan(patient):
    return PlanFactory(patient=patient, title="Anxiety Management Plan", next_review_date=DUE)


def run(*args) -> str:
    out = io.StringIO()
    call_command("send_review_reminders", *args, stdout=out)
    return out.getvalue()


# transaction=True: the command runs outside any transaction, as from a shell, so its emails leave at once.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("today", "kinds", "said"),
    [
        (
            "2026-10-01",
            ["due_soon"],
            "Sent 1 review reminder (1 due soon, 0 due today, 0 overdue): 1 notification, 1 email.",
        ),
        (
            "2026-10-08",
            ["due"],
            "Sent 1 review reminder (0 due soon, 1 due today, 0 overdue): 1 notification, 1 email.",
        ),
        (
            "2026-10-09",
            ["overdue"],
            "Sent 1 review reminder (0 due soon, 0 due today, 1 overdue): 2 notifications, 2 emails.",
        ),
        ("2026-09-30", [], "Sent 0 review reminders (0 due soon, 0 due today, 0 overdue): 0 notifications, 0 emails."),
    ],
)
def test_the_command_sends_what_is_due_on_the_day_given(plan, owner, supervisor, mailoutbox, today, kinds, said):
    out = run("--today", today)

    assert out.strip() == said
    assert list(ReviewReminder.objects.filter(plan=plan).values_list("kind", flat=True)) == kinds
    assert Notification.objects.filter(recipient=owner).count() == len(kinds)
    assert len(mailoutbox) == Notification.objects.exclude(emailed_at=None).count() == Notification.objects.count()


@pytest.mark.django_db(transaction=True)
def test_running_the_command_again_sends_nothing_twice(plan, mailoutbox):
    run("--today", "2026-10-08")

    again = run("--today", "2026-10-08")

    assert "Sent 0 review reminders" in again and "0 emails" in again
    assert ReviewReminder.objects.count() == Notification.objects.count() == len(mailoutbox) == 1


@pytest.mark.django_db
def test_without_a_date_each_practice_uses_its_own(patient, owner):
    plan = PlanFactory(patient=patient, next_review_date=patient.practice.today())

    out = run()

    assert "(0 due soon, 1 due today, 0 overdue)" in out
    assert ReviewReminder.objects.get(plan=plan).kind == "due"


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "08/10/2026", "2026-02-30"])
def test_a_date_that_is_not_one_is_refused_with_a_sentence(plan, bad):
    with pytest.raises(CommandError, match=r"--today must be a date written YYYY-MM-DD, such as 2026-10-08"):
        run("--today", bad)

    assert not ReviewReminder.objects.exists()


def test_a_bad_date_exits_non_zero_from_the_shell():
    env = {**os.environ, "DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "manage.py", "send_review_reminders", "--today", "tomorrow"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "--today must be a date written YYYY-MM-DD" in result.stderr
    assert "'tomorrow' is not one" in result.stderr


@pytest.mark.django_db
def test_the_task_runs_the_sweep_for_the_date_given(
    plan, owner, supervisor, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    queued = []
    monkeypatch.setattr(send_reminder_emails, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        counts = send_review_reminders.apply(kwargs={"today": "2026-10-09"}).get()

    assert counts["overdue"] == 1 and counts["notifications"] == 2 and counts["emails"] == 2
    assert ReviewReminder.objects.get(plan=plan).kind == "overdue"
    # The beat sweep sends no email itself: it queues them, after its commit, for a worker to send.
    assert mailoutbox == []
    assert [len(ids) for ids in queued] == [2]
    assert send_reminder_emails.apply(args=[queued[0]]).get() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([owner.email, supervisor.email])
    assert send_reminder_emails.apply(args=[queued[0]]).get() == 0  # a message delivered twice sends nothing
    assert len(mailoutbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert send_review_reminders.apply(kwargs={"today": "2026-10-09"}).get()["overdue"] == 0


@pytest.mark.django_db
def test_the_task_as_beat_calls_it_uses_each_practices_date(patient):
    # Past the practice's reminder hour in its own zone, whatever the hour of the run (before it the sweep waits).
    zone = patient.practice.zoneinfo
    local_noon = datetime.datetime.combine(datetime.datetime.now(zone).date(), datetime.time(12), tzinfo=zone)
    with time_machine.travel(local_noon, tick=False):
        plan = PlanFactory(patient=patient, next_review_date=patient.practice.today() + datetime.timedelta(days=7))

        counts = send_review_reminders.apply().get()

    assert counts["due_soon"] == 1
    assert ReviewReminder.objects.get(plan=plan).kind == "due_soon"


def test_the_task_retries_database_outages_with_backoff():
    assert send_review_reminders.name == "reviews.send_review_reminders"
    assert OperationalError in send_review_reminders.autoretry_for
    assert send_review_reminders.retry_backoff is True
    assert send_review_reminders.retry_jitter is True
    assert send_review_reminders.max_retries == 3
