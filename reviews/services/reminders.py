"""The daily review-reminder sweep: due soon (the practice's lead days before), due today, overdue after.

Each kind is sent at most once per plan and review date, however many times the sweep runs and however
many workers run it at once: the unique constraint `reminder_once_per_kind_and_due_date` decides (a batch's
reminders go in with one INSERT that skips those already there). Only a reminder this run created notifies
anyone: an in-app notification and an email to the plan's therapist, and for an overdue review also to the
therapist's supervisor. The sweep reads only the plans owed a reminder, a batch at a time, so its time and
memory follow the reminders due, not the plans open (`make bench-sweep`: 100,000 active plans).

Emails leave after commit (sent here, or queued for the worker in batches) and carry no PHI: the patient's
initials, the due date and a link to the plan, nothing else. Reminders are not reads of patient data, so
they write no audit events; the counts are logged.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.audit import AuditContext
from accounts.models import Practice, User
from reviews.models import AlertKind, Notification, ReminderKind, ReviewReminder
from reviews.services.reports import BROKER_ERRORS
from treatment.models import PlanStatus, ReviewStatus, TreatmentPlan

logger = logging.getLogger(__name__)

#: Emails that failed are tried again by later sweeps for this long, then given up (the in-app one stays).
EMAIL_RETRY_WINDOW = datetime.timedelta(days=2)
#: A notification this young may still have its email in flight (another worker's on_commit): not a retry yet.
EMAIL_RETRY_GRACE = datetime.timedelta(minutes=10)


#: The reminder each review status calls for (a current or closed plan needs none).
KIND_FOR_STATUS: dict[str, ReminderKind] = {
    ReviewStatus.DUE_SOON: ReminderKind.DUE_SOON,
    ReviewStatus.DUE: ReminderKind.DUE,
    ReviewStatus.OVERDUE: ReminderKind.OVERDUE,
}


def reminder_kind(plan: TreatmentPlan, today: datetime.date) -> ReminderKind | None:
    """Which reminder applies to a plan today, if any: the plan's own review status decides."""
    return KIND_FOR_STATUS.get(plan.review_status(today))


def review_reminders_send(
    *,
    today: datetime.date | None = None,
    by: AuditContext | None = None,
    at_practice_hour: bool = False,
    queue_emails: bool = False,
) -> dict[str, int]:
    """Create the reminders that are due and notify their recipients; returns counts.

    `today` is each practice's own date unless given (then it is every practice's). With `at_practice_hour`
    (the hourly beat sweep) a practice is reminded only once its clock has reached its
    `review_reminder_hour`; by hand, or for a given day, everything due goes now. The counts are the
    reminders created per kind, the in-app notifications, and the emails; emails leave when the caller's
    transaction commits (at once outside one). With `queue_emails` (the beat sweep) they are handed to the
    worker in messages of `EMAIL_BATCH` (`reviews.send_reminder_emails`) and `emails` counts those handed
    over; otherwise they are sent here and `emails` counts them as they go.
    """
    counts = dict.fromkeys(ReminderKind.values, 0) | {"notifications": 0, "emails": 0}
    counts["emails"] += _retry_unsent_emails(queue=queue_emails)
    practices = sweep_practices()
    for batch in _candidates(today, at_practice_hour=at_practice_hour, practices=practices):
        _remind(batch, counts, queue_emails=queue_emails)
    # The plans still unsigned some days after they started: the same sweep, reminders and notifications.
    # Imported here because that pass builds on this module's helpers (`_remind`).
    from reviews.services.signature_reminders import unsigned_reminders_send

    resolved = unsigned_reminders_send(
        today=today, counts=counts, at_practice_hour=at_practice_hour, queue_emails=queue_emails, practices=practices
    )
    resolved += _resolve_stale()
    logger.info(
        "Review reminders (%s): %s; %d stale resolved",
        by.user_agent if by is not None else "sweep",
        ", ".join(f"{key}={value}" for key, value in counts.items()),
        resolved,
    )
    return counts


#: Plans read, reminded and committed together: the sweep's memory is bounded by this, not by the plans due.
BATCH_SIZE = 500
#: Notifications per `reviews.send_reminder_emails` message: a sweep of 3,000 reminders is a few dozen messages.
EMAIL_BATCH = 100


@dataclass(frozen=True)
class Candidate:
    """A plan owed the reminder `kind` for its review date `due`, on the practice's `day`."""

    plan: TreatmentPlan
    kind: ReminderKind
    due: datetime.date
    day: datetime.date


def sweep_practices() -> list[Practice]:
    """The practices' clocks, reminder hours and days, read once a sweep for both of its passes."""
    fields = ("id", "time_zone", "review_reminder_hour", "review_reminder_lead_days", "signature_reminder_days")
    return list(Practice.objects.only(*fields).order_by("pk"))


def _practice_days(
    today: datetime.date | None,
    at_practice_hour: bool,
    days_field: str = "review_reminder_lead_days",
    practices: list[Practice] | None = None,
) -> dict[tuple[datetime.date, int], list]:
    """The practices to sweep, grouped by (their date, their `days_field`): practices are few, plans many.

    A practice whose clock has not reached its reminder hour is left out of the hourly sweep. Each pass names
    the practice's days it counts by (the review pass its lead days, the unsigned pass `signature_reminder_days`).
    """
    groups: dict[tuple[datetime.date, int], list] = {}
    for practice in practices if practices is not None else sweep_practices():
        now = practice.now()
        if at_practice_hour and today is None and now.hour < practice.review_reminder_hour:
            continue
        groups.setdefault((today or now.date(), getattr(practice, days_field)), []).append(practice.pk)
    return groups


def keyset_batches(plans: QuerySet[Any], date_field: str) -> Iterator[list[Any]]:
    """The plans of `plans` (ordered by `date_field`, then id; with the pass's annotations) in lists of `BATCH_SIZE`.

    Each page follows the (date, id) of the last row read (keyset), so it is an index range however far the sweep
    is, and a sweep's memory is one batch. The passes of the sweep page through their plans with this.
    """
    after = Q()
    while True:
        page = list(plans.filter(after)[:BATCH_SIZE])
        if page:
            yield page
        if len(page) < BATCH_SIZE:
            return
        last = page[-1]
        date = getattr(last, date_field)
        after = Q(**{f"{date_field}__gt": date}) | Q(**{date_field: date, "pk__gt": last.pk})


def _candidates(
    today: datetime.date | None, *, at_practice_hour: bool = False, practices: list[Practice] | None = None
) -> Iterator[list[Candidate]]:
    """The active plans owed a reminder now, in batches of `BATCH_SIZE`, by review date.

    One indexed query (status, next_review_date) per batch selects only what is due: the kind each plan's
    review date calls for on its practice's date is computed in SQL (a CASE per group of practices sharing
    a date and lead days), and a plan that already has that kind for that date is left out there (the
    constraint's index), so a sweep with nothing due reads no plan at all. Pages are keyset ranges of (review
    date, id) (`keyset_batches`).
    """
    groups = _practice_days(today, at_practice_hour, practices=practices)
    if not groups:
        return
    whens: list[When] = []
    day_of: dict[object, datetime.date] = {}
    for (day, lead), practice_ids in groups.items():
        in_group = Q(patient__practice_id__in=practice_ids)
        day_of.update(dict.fromkeys(practice_ids, day))
        soon = Q(next_review_date__gt=day, next_review_date__lte=day + datetime.timedelta(days=lead))
        whens += [
            When(in_group & Q(next_review_date__lt=day), then=Value(ReminderKind.OVERDUE.value)),
            When(in_group & Q(next_review_date=day), then=Value(ReminderKind.DUE.value)),
            When(in_group & soon, then=Value(ReminderKind.DUE_SOON.value)),
        ]
    horizon = max(day + datetime.timedelta(days=lead) for day, lead in groups)
    # Sent already: today's kind, or "overdue", the last word on a review date (a sweep run by hand for an
    # earlier day sends nothing after it).
    sent = ReviewReminder.objects.filter(
        Q(kind=OuterRef("kind")) | Q(kind=ReminderKind.OVERDUE),
        plan=OuterRef("pk"),
        due_date=OuterRef("next_review_date"),
    )
    due = (
        TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE, next_review_date__lte=horizon)
        .annotate(kind=Case(*whens, default=None, output_field=CharField()))
        .filter(kind__isnull=False)
        .exclude(Exists(sent))
        # What a reminder and its notifications say, nothing more: the plan's heavy columns stay in the database.
        .select_related("patient", "therapist__supervisor")
        .only(*CANDIDATE_FIELDS)
        .order_by("next_review_date", "pk")
    )
    for plans in keyset_batches(due, "next_review_date"):
        yield [
            Candidate(plan, ReminderKind(plan.kind), plan.next_review_date, day_of[plan.patient.practice_id])
            for plan in plans
            if plan.next_review_date is not None  # (always: the query selects by it)
        ]


#: The columns the candidates are read with (`_notification`, `_recipients`, `_plan_path` use no others).
CANDIDATE_FIELDS = (
    "id",
    "next_review_date",
    "patient__id",
    "patient__first_name",
    "patient__last_name",
    "patient__practice_id",
    "therapist__id",
    "therapist__email",
    "therapist__full_name",
    "therapist__is_active",
    "therapist__supervisor__id",
    "therapist__supervisor__email",
    "therapist__supervisor__full_name",
    "therapist__supervisor__is_active",
)


def _recipients(plan: TreatmentPlan, kind: str) -> list[User]:
    people = [plan.therapist]
    supervisor = plan.therapist.supervisor
    if kind == ReminderKind.OVERDUE and supervisor is not None and supervisor.pk != plan.therapist_id:
        people.append(supervisor)
    return [person for person in people if person.is_active]


def _remind(
    batch: list[Candidate],
    counts: dict[str, int],
    *,
    queue_emails: bool,
    recipients: Callable[[TreatmentPlan, str], list[User]] | None = None,
    notification: Callable[[TreatmentPlan, ReviewReminder, User, datetime.date], Notification] | None = None,
) -> None:
    """Create a batch's reminders and their notifications in one transaction; count only what this run created.
    Another kind of reminder (`unsigned`) names its own recipients and words.

    The reminders go in with one INSERT that skips any the unique constraint already holds (another run, or
    another worker at the same moment: PostgreSQL makes the second insert wait for the first's commit, then
    skip); reading back the ids this run generated says which are its own, and only those notify anyone.
    No savepoint: nothing in the batch is expected to fail, and an error fails the whole sweep anyway.
    """
    recipients = recipients or _recipients
    notification = notification or _notification
    reminders = [ReviewReminder(plan=c.plan, kind=c.kind, due_date=c.due) for c in batch]
    with transaction.atomic(savepoint=False):
        ReviewReminder.objects.bulk_create(reminders, ignore_conflicts=True)
        ours = set(ReviewReminder.objects.filter(pk__in=[r.pk for r in reminders]).values_list("pk", flat=True))
        notifications: list[Notification] = []
        for candidate, reminder in zip(batch, reminders, strict=True):
            if reminder.pk in ours:
                counts[candidate.kind] += 1
                notifications += [
                    notification(candidate.plan, reminder, person, candidate.day)
                    for person in recipients(candidate.plan, candidate.kind)
                ]
        Notification.objects.bulk_create(notifications)
        counts["notifications"] += len(notifications)
        ids = [n.pk for n in notifications if n.recipient.email]

        def deliver() -> None:
            counts["emails"] += _deliver(ids, queue=queue_emails)

        # robust: a failed send is logged and retried by a later sweep; it never undoes the reminders.
        if ids:
            transaction.on_commit(deliver, robust=True)


def _plan_path(plan: TreatmentPlan) -> str:
    try:
        return plan.get_absolute_url()
    except NoReverseMatch:  # the plan page's route is not installed (yet)
        return f"/plans/{plan.pk}/"


@functools.lru_cache(maxsize=256)
def _date_text(day: datetime.date, language: str | None) -> str:
    """A due date as the notifications write it: a sweep's thousands of reminders share a handful of dates."""
    return date_format(day)


def _notification(plan: TreatmentPlan, reminder: ReviewReminder, recipient: User, today: datetime.date) -> Notification:
    """What a reminder says to the therapist, or to their supervisor: no PHI beyond the patient's initials."""
    initials = plan.patient.initials
    due = _date_text(reminder.due_date, translation.get_language())
    days = (reminder.due_date - today).days
    whose = "The" if recipient.pk == plan.therapist_id else f"{plan.therapist.get_full_name()}'s"
    whose = f"{whose} treatment plan for {initials}"
    texts: dict[str, tuple[str, str]] = {
        ReminderKind.DUE_SOON: (
            f"Plan review due in {days} day{'' if days == 1 else 's'} — {initials}",
            f"{whose} is due for review on {due}.",
        ),
        ReminderKind.DUE: (f"Plan review due today — {initials}", f"{whose} is due for review today, {due}."),
        ReminderKind.OVERDUE: (
            f"Plan review overdue — {initials}",
            f"{whose} was due for review on {due} and has not been reviewed yet.",
        ),
    }
    title, body = texts[reminder.kind]
    return Notification(
        recipient=recipient,
        kind=reminder.kind,
        title=title,
        body=body,
        link=_plan_path(plan),
        plan=plan,
        reminder=reminder,
    )


def _email(notification_ids: list[uuid.UUID]) -> int:
    """Send the reminder emails of these notifications once each; returns how many left.

    A notification is claimed by setting `emailed_at` where it is still empty, so two workers never
    send the same email; a failed send gives the claim back for a later sweep to retry.
    """
    notifications = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .select_related("recipient", "reminder", "plan__patient", "measurement__patient")
        .order_by("created_at")
    )
    sent = 0
    connection = get_connection()
    try:
        for notification in notifications:
            if not notification.recipient.email:
                continue
            claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            )
            if not claimed:
                continue
            try:
                _email_message(notification, connection).send()
            except Exception:  # any transport failure: the in-app notification stands, the email is retried
                logger.exception("Reminder email %s failed; a later sweep retries it", notification.pk)
                Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
                continue
            sent += 1
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return sent


#: The email templates of each notification's kind (a review reminder, or a measurement's alert).
EMAIL_TEMPLATES = {
    **dict.fromkeys(ReminderKind.values, "reviews/email/review_reminder"),
    **dict.fromkeys(AlertKind.values, "reviews/email/measure_alert"),
}


def _email_message(notification: Notification, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    """A notification's email: its title and body (no PHI beyond initials) and a link into Trellis."""
    reminder, plan, measurement = notification.reminder, notification.plan, notification.measurement
    patient = plan.patient if plan is not None else measurement.patient if measurement is not None else None
    if patient is None or (reminder is None and measurement is None):
        raise ValueError(f"Notification {notification.pk} has no email")
    context = {
        "recipient": notification.recipient,
        "title": notification.title,
        "body": notification.body,
        "kind": notification.kind,
        "initials": patient.initials,
        "due": date_format(reminder.due_date) if reminder is not None else "",
        "url": f"{settings.SITE_URL.rstrip('/')}{notification.link}",
    }
    template = EMAIL_TEMPLATES[notification.kind]
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{template}.txt", context),
        to=[notification.recipient.email],
        connection=connection,
    )
    email.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return email


def _retry_unsent_emails(*, queue: bool = False) -> int:
    """Send (or queue) the recent reminder and alert emails an earlier run could not (a mail server or broker down
    a while)."""
    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            Q(reminder__isnull=False) | Q(measurement__isnull=False),
            emailed_at__isnull=True,
            created_at__gte=now - EMAIL_RETRY_WINDOW,
            created_at__lt=now - EMAIL_RETRY_GRACE,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .values_list("pk", flat=True)
    )
    return _deliver(ids, queue=queue) if ids else 0


def _deliver(notification_ids: list[uuid.UUID], *, queue: bool) -> int:
    """Send these notifications' emails now, or hand them to the worker `EMAIL_BATCH` at a time.

    Queued, the count is of the emails handed over. A broker that is down loses nothing: the notifications
    keep `emailed_at` empty and a later sweep queues them again (`_retry_unsent_emails`).
    """
    if not queue:
        return _email(notification_ids)
    from reviews.tasks.reminders import send_reminder_emails

    queued = 0
    for start in range(0, len(notification_ids), EMAIL_BATCH):
        batch = notification_ids[start : start + EMAIL_BATCH]
        try:
            send_reminder_emails.delay([str(pk) for pk in batch])
        except BROKER_ERRORS as error:
            logger.warning(
                "The broker did not take %d reminder email(s) (%s: %s); a later sweep queues them again",
                len(notification_ids) - start,
                type(error).__name__,
                error,
            )
            break
        queued += len(batch)
    return queued


def reminder_emails_send(*, notification_ids: list[uuid.UUID] | list[str]) -> int:
    """Send the reminder emails of these notifications, once each (the worker's half of a queued sweep)."""
    return _email([uuid.UUID(str(pk)) for pk in notification_ids])


def _resolve_stale() -> int:
    """Settle the reminders that no longer ask for anything: the plan left `active` or its review date moved.

    Recording a review settles its plan's reminders at once (`reviews.services.reviews`); this catches the
    plans put on hold or closed, which the treatment app does without knowing of reminders. As a review
    does, it marks their notifications read.
    """
    still_due = TreatmentPlan.objects.filter(
        pk=OuterRef("plan_id"), status=PlanStatus.ACTIVE, next_review_date=OuterRef("due_date")
    )
    stale = list(
        ReviewReminder.objects.filter(resolved_at__isnull=True)
        .exclude(kind=ReminderKind.UNSIGNED)  # not about a review date: `signature_reminders` settles those
        .exclude(Exists(still_due))
        .order_by()
        .values_list("pk", flat=True)
    )
    if stale:
        now = timezone.now()
        ReviewReminder.objects.filter(pk__in=stale).update(resolved_at=now)
        Notification.objects.filter(reminder_id__in=stale, read_at__isnull=True).update(read_at=now)
    return len(stale)
