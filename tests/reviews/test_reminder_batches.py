"""The review sweep at scale (issue 16): candidates selected in SQL and read in batches, reminders and notifications
inserted in bulk, emails queued in batches after commit.

Covers: a sweep over more plans than a batch reads them page by page (keyset) and reminds each once; a plan
already reminded of today's kind is not even read; the beat sweep queues its emails `EMAIL_BATCH` to a message
after commit, the worker's task sends each once; a broker that is down loses no email (a later sweep queues it
again); the practice's own date and lead days decide in SQL.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import AuditContext
from reviews.models import Notification, ReminderKind, ReviewReminder
from reviews.services import reminders
from reviews.services.reminders import review_reminders_send
from reviews.tasks.reminders import send_reminder_emails
from tests.factories import PatientFactory, PlanFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_unsigned_plan_pass")]

SYSTEM = AuditContext.system("tests")
DUE = datetime.date(2026, 10, 8)
DAY = datetime.timedelta(days=1)
PLAN_READ = 'SELECT "treatment_treatmentplan"."id"'


def _plans(practice, supervisor, dates):
    therapist = UserFactory(practice=practice, supervisor=supervisor)
    patient = PatientFactory(primary_therapist=therapist)
    return [PlanFactory(patient=patient, next_review_date=date) for date in dates]


def test_a_sweep_over_more_plans_than_a_batch_reads_them_page_by_page(
    practice, supervisor, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    monkeypatch.setattr(reminders, "BATCH_SIZE", 2)
    # Two plans share a review date across a page boundary: the keyset (date, id) neither skips nor repeats.
    plans = _plans(practice, supervisor, [DUE - DAY, DUE, DUE, DUE + DAY, DUE + 3 * DAY])

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        counts = review_reminders_send(today=DUE, by=SYSTEM)

    assert sum(q["sql"].startswith(PLAN_READ) for q in queries) == 3  # pages of 2, 2 and 1
    assert counts == {"due_soon": 2, "due": 2, "overdue": 1, "unsigned": 0, "notifications": 6, "emails": 6}
    assert sorted(ReviewReminder.objects.values_list("plan_id", flat=True)) == sorted(p.pk for p in plans)
    assert len(mailoutbox) == 6


def test_a_plan_reminded_of_todays_kind_is_not_read_again(practice, supervisor, django_capture_on_commit_callbacks):
    _plans(practice, supervisor, [DUE - DAY, DUE, DUE + 2 * DAY])
    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_send(today=DUE, by=SYSTEM)

    assert list(reminders._candidates(DUE)) == []  # nothing left to send today: no plan is loaded
    # The next day the due-soon plan is still due soon (sent) and the due one is now overdue (not sent yet).
    [batch] = list(reminders._candidates(DUE + DAY))
    assert [(c.kind, c.due, c.day) for c in batch] == [(ReminderKind.OVERDUE, DUE, DUE + DAY)]


def test_the_beat_sweep_queues_its_emails_in_batches_after_commit(
    practice, supervisor, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    monkeypatch.setattr(reminders, "EMAIL_BATCH", 2)
    queued = []
    monkeypatch.setattr(send_reminder_emails, "delay", queued.append)
    _plans(practice, supervisor, [DUE] * 5)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = review_reminders_send(today=DUE, by=SYSTEM, queue_emails=True)
    assert queued == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert [len(ids) for ids in queued] == [2, 2, 1]
    assert counts["due"] == 5 and counts["emails"] == 5
    assert mailoutbox == []
    assert sum(send_reminder_emails.apply(args=[ids]).get() for ids in queued) == 5
    assert len(mailoutbox) == 5
    assert sum(send_reminder_emails.apply(args=[ids]).get() for ids in queued) == 0  # delivered twice: sent once
    assert Notification.objects.filter(emailed_at=None).count() == 0


def test_a_broker_that_is_down_loses_no_email(
    practice, supervisor, dead_broker, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
):
    _plans(practice, supervisor, [DUE])

    with django_capture_on_commit_callbacks(execute=True):
        counts = review_reminders_send(today=DUE, by=SYSTEM, queue_emails=True)

    assert counts["due"] == 1 and counts["emails"] == 0
    note = Notification.objects.get()
    assert note.emailed_at is None
    # A later sweep, the broker back, queues it again once its first attempt is surely over.
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    queued = []
    monkeypatch.setattr(send_reminder_emails, "delay", queued.append)
    again = review_reminders_send(today=DUE, by=SYSTEM, queue_emails=True)
    assert again == {"due_soon": 0, "due": 0, "overdue": 0, "unsigned": 0, "notifications": 0, "emails": 1}
    assert queued == [[str(note.pk)]]


def test_each_practice_gets_the_kind_its_own_lead_days_call_for(
    practice, other_practice, supervisor, django_capture_on_commit_callbacks
):
    practice.review_reminder_lead_days = 14
    practice.save()
    ours = _plans(practice, supervisor, [DUE + 10 * DAY])
    other_supervisor = UserFactory(practice=other_practice, role="supervisor")
    theirs = _plans(other_practice, other_supervisor, [DUE + 10 * DAY, DUE + 7 * DAY])

    with django_capture_on_commit_callbacks(execute=True):
        counts = review_reminders_send(today=DUE, by=SYSTEM)

    assert counts["due_soon"] == 2
    assert set(ReviewReminder.objects.values_list("plan_id", flat=True)) == {ours[0].pk, theirs[1].pk}


def test_after_the_overdue_reminder_a_sweep_for_an_earlier_day_sends_nothing(
    practice, supervisor, django_capture_on_commit_callbacks
):
    [plan] = _plans(practice, supervisor, [DUE])
    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_send(today=DUE + DAY, by=SYSTEM)
        late = review_reminders_send(today=DUE - 3 * DAY, by=SYSTEM)  # by hand, for a day gone by

    assert late["due_soon"] == 0
    assert list(ReviewReminder.objects.filter(plan=plan).values_list("kind", flat=True)) == [ReminderKind.OVERDUE]
