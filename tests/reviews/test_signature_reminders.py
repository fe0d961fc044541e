"""The unsigned-plan reminder: a plan still not fully signed `Practice.signature_reminder_days` after its start
date reminds its clinician (and the supervisor when the co-signature is what waits), exactly once however many
sweeps and workers run, through the review reminders' machinery (the same sweep, notification and email path)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.audit import AuditContext
from reviews.models import Notification, ReminderKind, ReviewReminder
from reviews.services.reminders import review_reminders_send
from tests.factories import PatientFactory, PlanFactory, UserFactory
from tests.reviews.test_signing import sign_client, sign_staff
from tests.support import run_together
from treatment.models import PlanStatus, TreatmentPlan
from treatment.services import plan_update

pytestmark = pytest.mark.django_db

SYSTEM = AuditContext.system("tests")
START = datetime.date(2026, 9, 1)  # PlanFactory's start date
DAY = datetime.timedelta(days=1)
#: The plans' review date is far off: only the unsigned pass has anything to say in these tests.
FAR = datetime.date(2027, 6, 1)


@pytest.fixture
def plan(patient):
    return PlanFactory(patient=patient, title="Anxiety Management Plan", start_date=START, next_review_date=FAR)


def sweep(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return review_reminders_send(today=day, by=SYSTEM)


def test_nothing_before_the_days_then_one_reminder_to_the_clinician(
    plan, owner, practice, mailoutbox, django_capture_on_commit_callbacks
):
    assert practice.signature_reminder_days == 7
    assert sweep(START + 6 * DAY, django_capture_on_commit_callbacks)["unsigned"] == 0
    assert not ReviewReminder.objects.exists()

    counts = sweep(START + 7 * DAY, django_capture_on_commit_callbacks)

    assert (counts["unsigned"], counts["notifications"], counts["emails"]) == (1, 1, 1)
    reminder = ReviewReminder.objects.get()
    assert (reminder.plan, reminder.kind, reminder.due_date, reminder.resolved_at) == (
        plan,
        ReminderKind.UNSIGNED,
        START + 7 * DAY,
        None,
    )
    note = Notification.objects.get()
    assert (note.recipient, note.kind, note.title) == (owner, "unsigned", "Treatment plan not yet signed — E.C.")
    assert note.body == (
        "Your treatment plan for E.C. started on 1 Sep 2026 and is not fully signed yet: it awaits the clinician's "
        "signature."
    )
    [email] = mailoutbox
    assert email.subject == "Trellis: Treatment plan not yet signed — E.C."
    assert "Open the plan in Trellis to sign it:" in email.body
    assert "Emily" not in email.body and "Carter" not in email.body


def test_two_sweeps_send_it_once(plan, mailoutbox, django_capture_on_commit_callbacks):
    sweep(START + 7 * DAY, django_capture_on_commit_callbacks)
    second = sweep(START + 7 * DAY, django_capture_on_commit_callbacks)
    third = sweep(START + 30 * DAY, django_capture_on_commit_callbacks)
    assert (second["unsigned"], third["unsigned"]) == (0, 0)
    assert ReviewReminder.objects.count() == 1
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_send_it_once(plan, owner, mailoutbox):
    """Two connections insert at once and the unique constraint decides."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; this race is run on PostgreSQL (CI)")

    def send() -> dict:
        return review_reminders_send(today=START + 8 * DAY, by=SYSTEM)

    results = run_together(send, send)

    assert sorted(r["unsigned"] for r in results) == [0, 1]
    assert ReviewReminder.objects.filter(kind="unsigned").count() == 1
    assert Notification.objects.count() == 1
    assert [m.to[0] for m in mailoutbox] == [owner.email]


def test_the_supervisor_is_told_when_the_cosignature_waits(
    plan, owner, supervisor, practice, django_capture_on_commit_callbacks
):
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    owner.needs_supervision = True
    owner.save(update_fields=["needs_supervision"])
    sign_staff(owner, plan)
    assert TreatmentPlan.objects.get(pk=plan.pk).signature_status == "awaiting_supervisor"

    sweep(START + 7 * DAY, django_capture_on_commit_callbacks)

    notes = {n.recipient: n.body for n in Notification.objects.all()}
    assert set(notes) == {owner, supervisor}
    assert notes[supervisor] == (
        f"{owner.full_name}'s treatment plan for E.C. started on 1 Sep 2026 and is not fully signed yet: it awaits "
        "the supervisor's co-signature."
    )


def test_a_plan_awaiting_the_client_tells_only_the_clinician(plan, owner, django_capture_on_commit_callbacks):
    sign_staff(owner, plan)
    sweep(START + 7 * DAY, django_capture_on_commit_callbacks)
    assert [n.recipient for n in Notification.objects.all()] == [owner]
    assert "awaits the client's signature" in Notification.objects.get().body


def test_a_signed_plan_is_not_reminded_and_signing_settles_the_reminder(
    plan, owner, patient, practice, django_capture_on_commit_callbacks
):
    signed = PlanFactory(patient=patient, title="Signed plan", start_date=START, next_review_date=FAR)
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    sign_staff(owner, signed)
    sweep(START + 7 * DAY, django_capture_on_commit_callbacks)
    assert list(ReviewReminder.objects.values_list("plan", flat=True)) == [plan.pk]

    sign_staff(owner, plan)

    reminder = ReviewReminder.objects.get()
    assert reminder.resolved_at is not None
    assert Notification.objects.get(reminder=reminder).read_at is not None


def test_a_plan_awaiting_the_client_keeps_its_reminder_until_fully_signed(
    plan, owner, django_capture_on_commit_callbacks
):
    sweep(START + 7 * DAY, django_capture_on_commit_callbacks)
    sign_staff(owner, plan)
    assert ReviewReminder.objects.get().resolved_at is None
    sign_client(owner, plan, method="declined", reason="Wants to think it over")
    assert ReviewReminder.objects.get().resolved_at is not None


def test_a_review_does_not_settle_it_and_a_closed_plan_does(plan, owner, practice, django_capture_on_commit_callbacks):
    from reviews.services.reviews import review_record

    sweep(START + 7 * DAY, django_capture_on_commit_callbacks)
    review_record(by=AuditContext(user=owner), plan=plan, review_date=START + 8 * DAY, summary="Reviewed.")
    assert ReviewReminder.objects.get(kind="unsigned").resolved_at is None
    sweep(START + 9 * DAY, django_capture_on_commit_callbacks)
    assert ReviewReminder.objects.get(kind="unsigned").resolved_at is None
    plan_update(by=SYSTEM, plan=plan, status=PlanStatus.ON_HOLD)
    sweep(START + 10 * DAY, django_capture_on_commit_callbacks)
    assert ReviewReminder.objects.get(kind="unsigned").resolved_at is not None


def test_each_practice_has_its_own_days(plan, practice, django_capture_on_commit_callbacks):
    practice.signature_reminder_days = 14
    practice.save(update_fields=["signature_reminder_days"])
    assert sweep(START + 13 * DAY, django_capture_on_commit_callbacks)["unsigned"] == 0
    assert sweep(START + 14 * DAY, django_capture_on_commit_callbacks)["unsigned"] == 1
    assert ReviewReminder.objects.get().due_date == START + 14 * DAY


@pytest.mark.parametrize("n", [1, 6])
def test_the_sweep_costs_the_same_queries_however_many_plans_are_due(practice, supervisor, n):
    therapist = UserFactory(practice=practice, supervisor=supervisor)
    patient = PatientFactory(primary_therapist=therapist)
    for _ in range(n):
        PlanFactory(patient=patient, start_date=START, next_review_date=FAR)
    with CaptureQueriesContext(connection) as queries:
        counts = review_reminders_send(today=START + 7 * DAY, by=SYSTEM)
    plan_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "treatment_treatmentplan"."id"')]
    # The review pass's plans, and the unsigned pass's.
    assert len(plan_reads) == 2
    assert counts["unsigned"] == n
    # However many: the practices, the retry of unsent emails, the two plan queries, the two stale settlements,
    # and one batch of reminders (their INSERT, the read-back of this run's own, the notifications' INSERT).
    assert len(queries) == 9


@pytest.mark.parametrize("n", [0, 6])
def test_plans_not_due_cost_no_query_and_are_not_read(practice, owner, patient, n):
    """The plans not due (started too recently, fully signed, already reminded, or in a practice waiting longer)
    are left out in SQL: the sweep's queries and the plans it reads are those of the one plan due."""
    from reviews.services.signature_reminders import _candidates

    due = PlanFactory(patient=patient, start_date=START, next_review_date=FAR)
    slow = make_practice_waiting(days=30)
    slow_patient = PatientFactory(practice=slow, primary_therapist=UserFactory(practice=slow))
    for i in range(n):
        PlanFactory(patient=patient, start_date=START + (i + 1) * DAY, next_review_date=FAR)  # too recent
        PlanFactory(
            patient=slow_patient, therapist=slow_patient.primary_therapist, start_date=START, next_review_date=FAR
        )
        reminded = PlanFactory(patient=patient, start_date=START, next_review_date=FAR)
        ReviewReminder.objects.create(plan=reminded, kind=ReminderKind.UNSIGNED, due_date=START + 7 * DAY)
    TreatmentPlan.objects.filter(
        pk__in=[p.pk for p in PlanFactory.create_batch(n, patient=patient, start_date=START)]
    ).update(signature_status="signed")

    assert [[c.plan.pk for c in batch] for batch in _candidates(START + 7 * DAY)] == [[due.pk]]
    with CaptureQueriesContext(connection) as queries:
        counts = review_reminders_send(today=START + 7 * DAY, by=SYSTEM)
    assert counts["unsigned"] == 1
    # The same 9 queries as one due plan alone (see the test above): the practices, the retry of unsent emails, the
    # two plan queries, one batch of reminders (3), the two stale settlements.
    assert len(queries) == 9


def test_due_plans_are_read_and_reminded_in_keyset_batches(practice, patient, monkeypatch):
    from reviews.services import reminders

    monkeypatch.setattr(reminders, "BATCH_SIZE", 2)
    plans = [PlanFactory(patient=patient, start_date=START - i * DAY, next_review_date=FAR) for i in range(5)]
    with CaptureQueriesContext(connection) as queries:
        counts = review_reminders_send(today=START + 7 * DAY, by=SYSTEM)
    unsigned_reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "treatment_treatmentplan"."id"') and "start_date" in q["sql"]
    ]
    assert len(unsigned_reads) == 3  # 2 + 2 + 1
    assert counts["unsigned"] == 5
    assert {r.plan_id: r.due_date for r in ReviewReminder.objects.all()} == {
        plan.pk: plan.start_date + 7 * DAY for plan in plans
    }


def test_the_hourly_sweep_waits_for_the_practice_hour_on_its_own_clock(practice, plan, monkeypatch):
    """As the review pass: the beat's hourly sweep reminds a practice once its clock reaches its reminder hour, on
    its own date (here 23:30 in New York is already the next day in UTC)."""
    import zoneinfo

    from django.utils import timezone

    practice.time_zone = "America/New_York"
    practice.review_reminder_hour = 8
    practice.save(update_fields=["time_zone", "review_reminder_hour"])
    new_york = zoneinfo.ZoneInfo("America/New_York")
    late = datetime.datetime.combine(START + 6 * DAY, datetime.time(23, 30), new_york)
    monkeypatch.setattr(timezone, "now", lambda: late.astimezone(datetime.UTC))
    assert review_reminders_send(by=SYSTEM, at_practice_hour=True)["unsigned"] == 0  # day 6 there, after 8
    morning = datetime.datetime.combine(START + 7 * DAY, datetime.time(7, 0), new_york)
    monkeypatch.setattr(timezone, "now", lambda: morning.astimezone(datetime.UTC))
    assert review_reminders_send(by=SYSTEM, at_practice_hour=True)["unsigned"] == 0  # day 7, before 8
    monkeypatch.setattr(timezone, "now", lambda: morning.replace(hour=8).astimezone(datetime.UTC))
    assert review_reminders_send(by=SYSTEM, at_practice_hour=True)["unsigned"] == 1


def make_practice_waiting(*, days: int):
    from tests.factories import make_other_practice

    other = make_other_practice()
    other.signature_reminder_days = days
    other.save(update_fields=["signature_reminder_days"])
    return other
