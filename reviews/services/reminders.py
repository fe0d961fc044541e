"""The daily review-reminder sweep: due soon (the practice's lead days before), due today, overdue after.

Each kind is sent at most once per plan and review date, however many times the sweep runs and however
many workers run it at once: the unique constraint `reminder_once_per_kind_and_due_date` decides, each
insert in its own savepoint. Only a reminder this run created notifies anyone: an in-app notification
and an email to the plan's therapist, and for an overdue review also to the therapist's supervisor.

Emails leave after commit and carry no PHI: the patient's initials, the due date and a link to the plan,
nothing else. Reminders are not reads of patient data, so they write no audit events; the counts are logged.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import uuid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.formats import date_format

from accounts.audit import AuditContext
from accounts.models import MAX_REVIEW_LEAD_DAYS, User
from reviews.models import AlertKind, Notification, ReminderKind, ReviewReminder
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
    *, today: datetime.date | None = None, by: AuditContext | None = None, at_practice_hour: bool = False
) -> dict[str, int]:
    """Create the reminders that are due and notify their recipients; returns counts.

    `today` is each practice's own date unless given (then it is every practice's). With `at_practice_hour`
    (the hourly beat sweep) a practice is reminded only once its clock has reached its
    `review_reminder_hour`; by hand, or for a given day, everything due goes now. The counts are the
    reminders created per kind, the in-app notifications, and the emails sent; emails leave when the
    caller's transaction commits (at once outside one) and `emails` counts them as they go.
    """
    counts = dict.fromkeys(ReminderKind.values, 0) | {"notifications": 0, "emails": 0}
    counts["emails"] += _retry_unsent_emails()
    local_now: dict[object, datetime.datetime] = {}
    for plan in _candidates(today):
        practice = plan.patient.practice
        now = local_now.setdefault(practice.pk, practice.now())
        if at_practice_hour and today is None and now.hour < practice.review_reminder_hour:
            continue
        day = today or now.date()
        kind = reminder_kind(plan, day)
        due = plan.next_review_date  # a plan with a reminder kind has a review date
        if kind is None or due is None or getattr(plan, f"sent_{kind}"):
            continue
        notifications = _remind(plan, kind, due, day, counts)
        if notifications is not None:
            counts[kind] += 1
            counts["notifications"] += len(notifications)
    resolved = _resolve_stale()
    logger.info(
        "Review reminders (%s): %s; %d stale resolved",
        by.user_agent if by is not None else "sweep",
        ", ".join(f"{key}={value}" for key, value in counts.items()),
        resolved,
    )
    return counts


def _candidates(today: datetime.date | None) -> list[TreatmentPlan]:
    """One indexed query (status, next_review_date): the active plans whose review falls within any lead.

    Each row says which kinds were already sent for its current review date (the constraint's index),
    so a plan that has had today's reminder costs nothing more.
    """
    # A practice's calendar may be a day ahead of UTC's (UTC+14), never more.
    horizon = (today or timezone.now().date() + datetime.timedelta(days=1)) + datetime.timedelta(
        days=MAX_REVIEW_LEAD_DAYS
    )
    sent = {
        f"sent_{kind}": Exists(
            ReviewReminder.objects.filter(plan=OuterRef("pk"), kind=kind, due_date=OuterRef("next_review_date"))
        )
        for kind in ReminderKind.values
    }
    return list(
        TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE, next_review_date__lte=horizon)
        .select_related("patient__practice", "therapist__supervisor")
        .annotate(**sent)
        # Overdue is the last word on a review date: those plans have nothing left to send.
        .filter(sent_overdue=False)  # type: ignore[misc]  # django-stubs cannot see annotations given as **kwargs
        .order_by("next_review_date", "pk")
    )


def _recipients(plan: TreatmentPlan, kind: str) -> list[User]:
    people = [plan.therapist]
    supervisor = plan.therapist.supervisor
    if kind == ReminderKind.OVERDUE and supervisor is not None and supervisor.pk != plan.therapist_id:
        people.append(supervisor)
    return [person for person in people if person.is_active]


def _remind(
    plan: TreatmentPlan, kind: str, due: datetime.date, today: datetime.date, counts: dict[str, int]
) -> list[Notification] | None:
    """Create the reminder (for the review date `due`) and its notifications in one savepoint; None when another
    run already did."""
    try:
        with transaction.atomic():
            reminder = ReviewReminder.objects.create(plan=plan, kind=kind, due_date=due)
            notifications = Notification.objects.bulk_create(
                [_notification(plan, reminder, person, today) for person in _recipients(plan, kind)]
            )
            ids = [n.pk for n in notifications]

            def send() -> None:
                counts["emails"] += _email(ids)

            # robust: a failed send is logged and retried by a later sweep; it never undoes the reminder.
            transaction.on_commit(send, robust=True)
    except IntegrityError:
        return None
    return notifications


def _plan_path(plan: TreatmentPlan) -> str:
    try:
        return plan.get_absolute_url()
    except NoReverseMatch:  # the plan page's route is not installed (yet)
        return f"/plans/{plan.pk}/"


def _notification(plan: TreatmentPlan, reminder: ReviewReminder, recipient: User, today: datetime.date) -> Notification:
    """What a reminder says to the therapist, or to their supervisor: no PHI beyond the patient's initials."""
    initials = plan.patient.initials
    due = date_format(reminder.due_date)
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


def _retry_unsent_emails() -> int:
    """Send the recent reminder and alert emails an earlier run could not (a mail server down for a while)."""
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
    return _email(ids) if ids else 0


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
        .exclude(Exists(still_due))
        .order_by()
        .values_list("pk", flat=True)
    )
    if stale:
        now = timezone.now()
        ReviewReminder.objects.filter(pk__in=stale).update(resolved_at=now)
        Notification.objects.filter(reminder_id__in=stale, read_at__isnull=True).update(read_at=now)
    return len(stale)
