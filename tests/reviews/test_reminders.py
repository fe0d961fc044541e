"""Review reminders (issue 4): "check next_review_date daily; send reminder 7 days before; urgent reminder on
due date; overdue after".

Covers: which kind is sent on which day (the practice's lead days before, on the date, after it), each kind
once per plan and review date however often the sweep runs (and when another worker got there first), only
the kind that applies when the sweep missed a window, nothing for plans on hold or closed, new reminders once
the review date moves, stale reminders resolved, each practice's own lead days and calendar, the supervisor
told of overdue reviews, in-app notifications and emails with no PHI beyond initials, emails sent after commit
and retried after a failure, one query selecting the plans however many there are, and the read-only,
practice-scoped admin.
"""

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.audit import AuditContext
from accounts.models import AuditEvent, Role
from reviews.models import Notification, ReminderKind, ReviewReminder
from reviews.services import reminders
from reviews.services.reminders import review_reminders_send
from reviews.services.reviews import review_record
from reviews.tasks.reminders import send_review_reminders
from tests.factories import PatientFactory, PlanFactory, PracticeFactory, UserFactory
from tests.support import run_together
from treatment.models import PlanStatus, TreatmentPlan
from treatment.services import plan_update

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_unsigned_plan_pass")]


SYSTEM = AuditContext.system("tests")
DUE = datetime.date(2026, 10, 8)
DUE_TEXT = "8 Oct 2026"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def plan(patient):
    return PlanFactory(patient=patient, title="Anxiety Management Plan", next_review_date=DUE)


def sweep(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        counts = review_reminders_send(today=day, by=SYSTEM)
    return counts


def kinds(plan):
    return sorted(ReviewReminder.objects.filter(plan=plan).values_list("kind", flat=True))


@pytest.mark.parametrize(
    ("day", "kind", "title"),
    [
        (DUE - 7 * DAY, ReminderKind.DUE_SOON, "Plan review due in 7 days — E.C."),
        (DUE - 3 * DAY, ReminderKind.DUE_SOON, "Plan review due in 3 days — E.C."),
        (DUE - DAY, ReminderKind.DUE_SOON, "Plan review due in 1 day — E.C."),
        (DUE, ReminderKind.DUE, "Plan review due today — E.C."),
        (DUE + DAY, ReminderKind.OVERDUE, "Plan review overdue — E.C."),
        (DUE + 30 * DAY, ReminderKind.OVERDUE, "Plan review overdue — E.C."),
    ],
)
def test_the_kind_that_applies_is_sent_to_the_therapist(
    plan, owner, day, kind, title, django_capture_on_commit_callbacks
):
    counts = sweep(day, django_capture_on_commit_callbacks)

    reminder = ReviewReminder.objects.get(plan=plan)
    assert (reminder.kind, reminder.due_date, reminder.resolved_at) == (kind, DUE, None)
    note = Notification.objects.get(recipient=owner)
    assert (note.kind, note.title, note.plan, note.reminder) == (kind, title, plan, reminder)
    assert note.link == f"/plans/{plan.pk}/"
    assert DUE_TEXT in note.body
    assert note.emailed_at is not None
    assert note.read_at is None
    assert counts[kind] == 1
    assert sum(counts[k] for k in ReminderKind.values) == 1


@pytest.mark.parametrize("day", [DUE - 8 * DAY, DUE - 60 * DAY])
def test_nothing_is_sent_before_the_lead_days(plan, day, mailoutbox, django_capture_on_commit_callbacks):
    counts = sweep(day, django_capture_on_commit_callbacks)

    assert not ReviewReminder.objects.exists()
    assert not Notification.objects.exists()
    assert mailoutbox == []
    assert counts == {"due_soon": 0, "due": 0, "overdue": 0, "unsigned": 0, "notifications": 0, "emails": 0}


def test_a_daily_sweep_sends_each_kind_once(plan, owner, supervisor, mailoutbox, django_capture_on_commit_callbacks):
    day = DUE - 10 * DAY
    while day <= DUE + 10 * DAY:
        sweep(day, django_capture_on_commit_callbacks)
        sweep(day, django_capture_on_commit_callbacks)  # beat fired twice, or someone ran the command by hand
        day += DAY

    assert kinds(plan) == ["due", "due_soon", "overdue"]
    assert sorted(Notification.objects.filter(recipient=owner).values_list("kind", flat=True)) == [
        "due",
        "due_soon",
        "overdue",
    ]
    assert list(Notification.objects.filter(recipient=supervisor).values_list("kind", flat=True)) == ["overdue"]
    assert sorted(m.to[0] for m in mailoutbox) == sorted([owner.email] * 3 + [supervisor.email])


def test_a_second_sweep_the_same_day_sends_nothing(plan, mailoutbox, django_capture_on_commit_callbacks):
    first = sweep(DUE, django_capture_on_commit_callbacks)
    second = sweep(DUE, django_capture_on_commit_callbacks)

    assert first["due"] == 1 and first["emails"] == 1
    assert second == {"due_soon": 0, "due": 0, "overdue": 0, "unsigned": 0, "notifications": 0, "emails": 0}
    assert ReviewReminder.objects.count() == Notification.objects.count() == len(mailoutbox) == 1


def test_a_worker_that_lost_the_race_sends_nothing(plan, monkeypatch, mailoutbox, django_capture_on_commit_callbacks):
    """Two workers read the same candidates; the unique constraint, not the read, decides who sends."""
    stale_read = list(reminders._candidates(DUE))  # the batches, read before the other worker commits
    sweep(DUE, django_capture_on_commit_callbacks)
    monkeypatch.setattr(reminders, "_candidates", lambda today, **options: stale_read)

    late = sweep(DUE, django_capture_on_commit_callbacks)

    assert late["due"] == 0 and late["notifications"] == 0
    assert ReviewReminder.objects.count() == Notification.objects.count() == len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_send_each_reminder_once(plan, owner, supervisor, mailoutbox):
    """Real concurrency needs a server database: two connections insert at once and the constraint decides."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; this race is run on PostgreSQL (CI)")

    def send() -> dict:
        return review_reminders_send(today=DUE + DAY, by=SYSTEM)

    results = run_together(send, send)

    assert sorted(r["overdue"] for r in results) == [0, 1]
    assert ReviewReminder.objects.count() == 1
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([owner.email, supervisor.email])


@pytest.mark.parametrize(
    ("first_run", "kind"),
    [(DUE - 2 * DAY, ReminderKind.DUE_SOON), (DUE, ReminderKind.DUE), (DUE + 3 * DAY, ReminderKind.OVERDUE)],
)
def test_a_sweep_that_missed_a_window_sends_only_what_applies_today(
    plan, first_run, kind, mailoutbox, django_capture_on_commit_callbacks
):
    sweep(first_run, django_capture_on_commit_callbacks)

    assert kinds(plan) == [kind]
    assert Notification.objects.filter(recipient=plan.therapist).count() == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"status": PlanStatus.ON_HOLD},
        {"status": PlanStatus.COMPLETED, "status_reason": "Goals met.", "actual_end_date": datetime.date(2026, 10, 1)},
        {"status": PlanStatus.DISCONTINUED, "status_reason": "Moved away."},
    ],
)
@pytest.mark.parametrize("day", [DUE - 7 * DAY, DUE, DUE + DAY])
def test_plans_that_are_not_active_get_no_reminder(plan, changes, day, mailoutbox, django_capture_on_commit_callbacks):
    plan_update(by=SYSTEM, plan=plan, **changes)

    sweep(day, django_capture_on_commit_callbacks)

    assert not ReviewReminder.objects.exists()
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_a_plan_without_a_review_date_gets_no_reminder(plan, django_capture_on_commit_callbacks):
    TreatmentPlan.objects.filter(pk=plan.pk).update(next_review_date=None)

    sweep(DUE + DAY, django_capture_on_commit_callbacks)

    assert not ReviewReminder.objects.exists()


def test_a_moved_review_date_gets_its_own_reminders_and_resolves_the_old_ones(
    plan, owner, django_capture_on_commit_callbacks
):
    sweep(DUE, django_capture_on_commit_callbacks)
    later = DUE + 90 * DAY
    plan = plan_update(by=SYSTEM, plan=plan, next_review_date=later)

    sweep(DUE + DAY, django_capture_on_commit_callbacks)  # the old date has passed: nothing overdue now
    old = ReviewReminder.objects.get(plan=plan, due_date=DUE)
    assert old.resolved_at is not None
    assert not ReviewReminder.objects.filter(due_date=later).exists()

    sweep(later - 7 * DAY, django_capture_on_commit_callbacks)
    sweep(later, django_capture_on_commit_callbacks)

    assert list(
        ReviewReminder.objects.filter(due_date=later).order_by("created_at").values_list("kind", flat=True)
    ) == [
        "due_soon",
        "due",
    ]
    assert Notification.objects.filter(recipient=owner).count() == 3


def test_a_plan_put_on_hold_has_its_open_reminders_resolved(plan, django_capture_on_commit_callbacks):
    sweep(DUE - 7 * DAY, django_capture_on_commit_callbacks)
    plan_update(by=SYSTEM, plan=plan, status=PlanStatus.ON_HOLD)

    sweep(DUE, django_capture_on_commit_callbacks)

    assert ReviewReminder.objects.get().resolved_at is not None
    assert Notification.objects.get().read_at is not None  # it no longer asks for anything
    assert kinds(plan) == ["due_soon"]


def test_recording_the_review_settles_the_reminders_and_the_next_date_gets_its_own(
    patient, owner, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    today = patient.practice.today()
    plan = PlanFactory(patient=patient, start_date=today - 100 * DAY, next_review_date=today - DAY)
    other = PlanFactory(patient=patient, start_date=today - 100 * DAY, next_review_date=today - DAY)
    sweep(today, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(plan=plan).count() == 2  # the therapist and the supervisor

    review_record(
        by=AuditContext.system("tests", user=owner),
        plan=plan,
        review_date=today,
        summary="Goals on track; sleep goal reworded.",
        next_review_date=today + 90 * DAY,
    )
    sweep(today, django_capture_on_commit_callbacks)

    assert ReviewReminder.objects.get(plan=plan).resolved_at is not None
    assert not Notification.objects.filter(plan=plan, reminder__isnull=False, read_at=None).exists()
    # What stays unread is the supervisor's request to co-sign the new review (not a reminder).
    assert Notification.objects.get(plan=plan, read_at=None).kind == "cosign_requested"
    assert ReviewReminder.objects.get(plan=other).resolved_at is None  # the other plan still waits for its review
    assert kinds(plan) == ["overdue"]
    sent = len(mailoutbox)

    sweep(today + 83 * DAY, django_capture_on_commit_callbacks)

    assert ReviewReminder.objects.get(plan=plan, due_date=today + 90 * DAY).kind == "due_soon"
    assert len(mailoutbox) == sent + 1


def test_each_practice_has_its_own_lead_days(plan, practice, owner, django_capture_on_commit_callbacks):
    practice.review_reminder_lead_days = 14
    practice.save()
    elsewhere = UserFactory(practice=PracticeFactory(name="Harbor"))
    theirs = PlanFactory(patient=PatientFactory(primary_therapist=elsewhere), next_review_date=DUE)

    sweep(DUE - 15 * DAY, django_capture_on_commit_callbacks)
    assert not ReviewReminder.objects.exists()

    sweep(DUE - 14 * DAY, django_capture_on_commit_callbacks)
    assert kinds(plan) == ["due_soon"]
    assert kinds(theirs) == []
    assert Notification.objects.get(recipient=owner).title == "Plan review due in 14 days — E.C."

    sweep(DUE - 7 * DAY, django_capture_on_commit_callbacks)
    assert kinds(plan) == ["due_soon"]
    assert kinds(theirs) == ["due_soon"]


def test_each_practice_is_swept_by_its_own_calendar(owner, monkeypatch, django_capture_on_commit_callbacks):
    """At 11:00 UTC on 8 October it is already the 9th in Auckland and still the 8th in Honolulu."""
    instant = datetime.datetime(2026, 10, 8, 11, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    monkeypatch.setattr(timezone, "now", lambda: instant)
    plans = {}
    for zone in ("Pacific/Auckland", "Pacific/Honolulu"):
        therapist = UserFactory(practice=PracticeFactory(name=zone, time_zone=zone))
        plans[zone] = PlanFactory(patient=PatientFactory(primary_therapist=therapist), next_review_date=DUE)

    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_send(by=SYSTEM)

    assert kinds(plans["Pacific/Auckland"]) == ["overdue"]
    assert kinds(plans["Pacific/Honolulu"]) == ["due"]


@pytest.mark.parametrize(("utc_hour", "sent"), [(11, []), (12, ["due"]), (23, ["due"])])
def test_the_hourly_sweep_waits_for_each_practices_reminder_hour(
    owner, monkeypatch, utc_hour, sent, django_capture_on_commit_callbacks
):
    """A practice in New York (UTC-4 in October) reminding from 08:00: the 11:00 UTC sweep is 07:00 there."""
    instant = datetime.datetime(2026, 10, 8, utc_hour, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    practice = PracticeFactory(name="Eight o'clock", time_zone="America/New_York", review_reminder_hour=8)
    plan = PlanFactory(patient=PatientFactory(primary_therapist=UserFactory(practice=practice)), next_review_date=DUE)

    with django_capture_on_commit_callbacks(execute=True):
        send_review_reminders.run()

    assert kinds(plan) == sent


def test_by_hand_or_for_a_given_day_the_sweep_sends_at_any_hour(owner, monkeypatch, django_capture_on_commit_callbacks):
    """00:00 on 8 October in New York, a practice reminding from 23:00."""
    monkeypatch.setattr(timezone, "now", lambda: datetime.datetime(2026, 10, 8, 4, 0, tzinfo=datetime.UTC))
    practice = PracticeFactory(name="Late", time_zone="America/New_York", review_reminder_hour=23)
    therapist = UserFactory(practice=practice)
    today = PlanFactory(patient=PatientFactory(primary_therapist=therapist), next_review_date=DUE)
    with django_capture_on_commit_callbacks(execute=True):
        review_reminders_send(by=SYSTEM)
    assert kinds(today) == ["due"]

    later = PlanFactory(patient=PatientFactory(primary_therapist=therapist), next_review_date=DUE + 3 * DAY)
    with django_capture_on_commit_callbacks(execute=True):
        send_review_reminders.run(today="2026-10-08")
    assert kinds(later) == ["due_soon"]


def test_the_supervisor_hears_of_overdue_reviews_only(
    plan, owner, supervisor, colleague, practice_admin, mailoutbox, django_capture_on_commit_callbacks
):
    sweep(DUE - 7 * DAY, django_capture_on_commit_callbacks)
    sweep(DUE, django_capture_on_commit_callbacks)
    assert not Notification.objects.filter(recipient=supervisor).exists()

    counts = sweep(DUE + DAY, django_capture_on_commit_callbacks)

    assert counts["overdue"] == 1 and counts["notifications"] == 2 and counts["emails"] == 2
    note = Notification.objects.get(recipient=supervisor)
    assert note.title == "Plan review overdue — E.C."
    assert owner.get_full_name() in note.body and DUE_TEXT in note.body
    assert note.reminder == Notification.objects.get(recipient=owner, kind="overdue").reminder
    assert note.emailed_at is not None
    assert sorted(m.to[0] for m in mailoutbox[-2:]) == sorted([owner.email, supervisor.email])
    assert not Notification.objects.filter(recipient__in=[colleague, practice_admin]).exists()


def test_an_inactive_supervisor_is_not_told(plan, owner, supervisor, mailoutbox, django_capture_on_commit_callbacks):
    supervisor.is_active = False
    supervisor.save()

    sweep(DUE + DAY, django_capture_on_commit_callbacks)

    assert list(Notification.objects.values_list("recipient", flat=True)) == [owner.pk]
    assert [m.to for m in mailoutbox] == [[owner.email]]


def test_emails_carry_initials_date_and_link_but_no_phi(
    plan, patient, supervisor, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://trellis.example.org/"
    for person, name in ((plan.therapist, "Jordan Lee"), (supervisor, "Ana Rivera")):  # not a chance "Carter"
        person.full_name = name
        person.save()
    for day in (DUE - 7 * DAY, DUE, DUE + DAY):
        sweep(day, django_capture_on_commit_callbacks)
    diagnosis = plan.diagnosis_codes[0]
    secrets = [
        patient.first_name,
        patient.last_name,
        plan.title,
        diagnosis["code"],
        diagnosis["description"],
        *plan.presenting_problems,
        patient.external_id or patient.last_name,
    ]

    assert len(mailoutbox) == 4
    for message in mailoutbox:
        html = message.alternatives[0][0]
        for text in (message.subject, message.body, html):
            for secret in secrets:
                assert secret.lower() not in text.lower(), (secret, text)
        assert "E.C." in message.subject
        assert "E.C." in message.body and DUE_TEXT in message.body
        assert f"https://trellis.example.org/plans/{plan.pk}/" in message.body
        assert f'href="https://trellis.example.org/plans/{plan.pk}/"' in html
    for note in Notification.objects.all():
        for secret in secrets:
            assert secret.lower() not in f"{note.title} {note.body}".lower()
    assert {m.subject for m in mailoutbox} == {
        "Trellis: Plan review due in 7 days — E.C.",
        "Trellis: Plan review due today — E.C.",
        "Trellis: Plan review overdue — E.C.",
    }


def test_emails_leave_only_after_commit(plan, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        review_reminders_send(today=DUE, by=SYSTEM)

    assert mailoutbox == []
    assert Notification.objects.get().emailed_at is None
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert Notification.objects.get().emailed_at is not None


class RefusingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_a_failed_email_keeps_the_notification_and_is_retried_by_a_later_sweep(
    plan, owner, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    first = sweep(DUE, django_capture_on_commit_callbacks)

    note = Notification.objects.get()
    assert first["due"] == 1 and first["emails"] == 0
    assert note.emailed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sweep(DUE, django_capture_on_commit_callbacks)
    assert mailoutbox == []  # too young: its first attempt may still be under way in another worker

    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - datetime.timedelta(hours=1))
    retried = sweep(DUE, django_capture_on_commit_callbacks)
    assert retried["emails"] == 1 and retried["due"] == 0
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert Notification.objects.get().emailed_at is not None

    sweep(DUE + DAY, django_capture_on_commit_callbacks)
    subjects = [m.subject for m in mail.outbox]
    assert subjects.count("Trellis: Plan review due today — E.C.") == 1  # not sent again
    assert subjects.count("Trellis: Plan review overdue — E.C.") == 2  # the therapist and the supervisor


def test_reminders_write_no_audit_events(plan, django_capture_on_commit_callbacks):
    before = AuditEvent.objects.count()

    sweep(DUE, django_capture_on_commit_callbacks)

    assert AuditEvent.objects.count() == before


def _make_plans(practice, supervisor, n, due=None):
    """n plans of one new therapist's patient, due the day before, on and after DUE in turn."""
    therapist = UserFactory(practice=practice, supervisor=supervisor)
    patient = PatientFactory(primary_therapist=therapist)
    return [PlanFactory(patient=patient, next_review_date=due or DUE + (i % 3 - 1) * DAY) for i in range(n)]


@pytest.mark.parametrize("n", [1, 9])
def test_one_query_selects_the_plans_however_many_there_are(
    practice, supervisor, n, django_capture_on_commit_callbacks
):
    _make_plans(practice, supervisor, n)
    for closed in _make_plans(practice, supervisor, 2):
        plan_update(by=SYSTEM, plan=closed, status=PlanStatus.DISCONTINUED, status_reason="Closed in a test.")
    _make_plans(practice, supervisor, 2, due=DUE + 120 * DAY)
    with CaptureQueriesContext(connection) as queries:
        counts = review_reminders_send(today=DUE - 20 * DAY, by=SYSTEM)
    assert sum(counts.values()) == 0
    idle = len(queries)

    with CaptureQueriesContext(connection) as queries:
        counts = review_reminders_send(today=DUE, by=SYSTEM)

    plan_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "treatment_treatmentplan"."id"')]
    assert len(plan_reads) == 1
    created = sum(counts[k] for k in ReminderKind.values)
    assert created == n
    # Per reminder: a savepoint, the reminder, its notifications in one INSERT, the release.
    assert len(queries) <= idle + 4 * created
    # The practices (a row each: their dates and lead days), the plans due, the emails to retry, the stale review
    # reminders, the stale unsigned-plan reminders (that pass's own plan query is out of these tests:
    # `no_unsigned_plan_pass`).
    assert idle == 5


def test_a_sweep_with_nothing_new_costs_the_same_for_one_plan_or_many(
    practice, supervisor, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _make_plans(practice, supervisor, 1)
    sweep(DUE, django_capture_on_commit_callbacks)
    with CaptureQueriesContext(connection) as one:
        review_reminders_send(today=DUE, by=SYSTEM)

    _make_plans(practice, supervisor, 12)
    sweep(DUE, django_capture_on_commit_callbacks)
    with django_assert_num_queries(len(one)):
        review_reminders_send(today=DUE, by=SYSTEM)


# --- Admin: read-only, practice-scoped ----------------------------------------------------------------------


@pytest.fixture
def sent(plan, supervisor, django_capture_on_commit_callbacks):
    sweep(DUE + DAY, django_capture_on_commit_callbacks)
    return ReviewReminder.objects.get(plan=plan)


@pytest.fixture
def theirs(other_practice, django_capture_on_commit_callbacks):
    therapist = UserFactory(practice=other_practice, email="zebulon@harbor.example")
    patient = PatientFactory(primary_therapist=therapist, first_name="Quentin", last_name="Elsewhere")
    plan = PlanFactory(patient=patient, title="Harbor Grief Plan", next_review_date=DUE)
    sweep(DUE, django_capture_on_commit_callbacks)
    return ReviewReminder.objects.get(plan=plan)


@pytest.mark.parametrize("model", ["reviewreminder", "notification"])
def test_the_practice_admin_reads_their_practices_reminders_and_notifications(
    client, practice_admin, sent, theirs, model
):
    client.force_login(practice_admin)
    ours = sent if model == "reviewreminder" else Notification.objects.filter(reminder=sent).first()
    other = theirs if model == "reviewreminder" else Notification.objects.get(reminder=theirs)

    listing = client.get(f"/admin/reviews/{model}/")
    assert listing.status_code == 200
    shown = {str(obj.pk) for obj in listing.context["cl"].result_list}
    expected = ReviewReminder.objects.filter(plan__patient__practice=practice_admin.practice)
    if model == "notification":
        expected = Notification.objects.filter(recipient__practice=practice_admin.practice)
    assert shown == {str(pk) for pk in expected.values_list("pk", flat=True)}
    assert str(other.pk) not in shown
    assert client.get(f"/admin/reviews/{model}/{ours.pk}/change/").status_code == 200
    assert client.get(f"/admin/reviews/{model}/{other.pk}/change/").status_code == 302  # "not found" redirect
    assert "Harbor Grief Plan" not in listing.content.decode()


@pytest.mark.parametrize("model", ["reviewreminder", "notification"])
def test_reminders_and_notifications_are_read_only_in_admin(client, practice_admin, sent, model):
    client.force_login(practice_admin)
    obj = sent if model == "reviewreminder" else Notification.objects.filter(reminder=sent).first()

    assert client.get(f"/admin/reviews/{model}/add/").status_code == 403
    assert client.get(f"/admin/reviews/{model}/{obj.pk}/delete/").status_code == 403
    page = client.get(f"/admin/reviews/{model}/{obj.pk}/change/")
    assert b'name="_save"' not in page.content
    before = (ReviewReminder.objects.count(), Notification.objects.count())
    client.post(f"/admin/reviews/{model}/{obj.pk}/change/", {"title": "changed", "kind": "due"})
    assert (ReviewReminder.objects.count(), Notification.objects.count()) == before
    assert not Notification.objects.filter(title="changed").exists()


def test_opening_reminders_in_admin_is_an_audited_read(client, practice_admin, sent, patient):
    client.force_login(practice_admin)

    client.get("/admin/reviews/reviewreminder/")
    client.get(f"/admin/reviews/reviewreminder/{sent.pk}/change/")

    events = AuditEvent.objects.filter(user=practice_admin, object_type="reviews.reviewreminder", action="view")
    assert events.count() == 2
    assert set(events.values_list("patient", flat=True)) == {patient.pk}


def test_the_notification_admin_does_not_show_the_plan(client, practice_admin, sent, plan):
    client.force_login(practice_admin)
    note = Notification.objects.filter(reminder=sent).first()

    for path in ("/admin/reviews/notification/", f"/admin/reviews/notification/{note.pk}/change/"):
        content = client.get(path).content.decode()
        assert plan.title not in content
        # The patient's full name (a staff member's surname may be "Carter" too: Faker picks them).
        assert plan.patient.full_name not in content


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.SUPERVISOR])
def test_clinicians_cannot_reach_the_reminder_admin(client, practice, sent, role):
    client.force_login(UserFactory(practice=practice, role=role))

    assert client.get("/admin/reviews/reviewreminder/").status_code == 302
    assert client.get("/admin/reviews/notification/").status_code == 302
