"""The unsigned-plan pass of the reminder sweep: a plan still not fully signed `Practice.signature_reminder_days`
after its start date reminds its clinician, and the clinician's supervisor when their co-signature is what waits.

Once per plan: the reminder's `due_date` is the start date plus those days, and the reminders' unique constraint
(plan, kind, due date) decides between two sweeps or two workers, each insert in its own savepoint, as for the
review reminders (`reviews.services.reminders._remind`, whose notification and PHI-free email path this uses).
Signing the plan fully settles the reminder (`reviews.services.signatures`); so does the plan leaving `active`.
"""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from reviews.models import Notification, ReminderKind, ReviewReminder
from reviews.services.reminders import _plan_path, _remind
from treatment.models import PlanStatus, SignatureStatus, TreatmentPlan

#: The shortest `signature_reminder_days` a practice may set (the field's minimum).
MIN_REMINDER_DAYS = 1


def unsigned_due_date(plan: TreatmentPlan) -> datetime.date:
    """The day a plan that is still not fully signed raises its reminder."""
    return plan.start_date + datetime.timedelta(days=plan.patient.practice.signature_reminder_days)


def unsigned_reminders_send(
    *, today: datetime.date | None, counts: dict[str, int], at_practice_hour: bool = False
) -> int:
    """Remind the clinicians of the active plans not fully signed in time; adds to `counts` ("unsigned",
    "notifications"; emails count as they leave) and returns how many unsigned reminders it settled as stale.

    `today` and `at_practice_hour` as for `review_reminders_send`, whose sweep calls this.
    """
    for plan in _candidates(today):
        practice = plan.patient.practice
        now = practice.now()
        if at_practice_hour and today is None and now.hour < practice.review_reminder_hour:
            continue
        day = today or now.date()
        due = unsigned_due_date(plan)
        if day < due:
            continue
        notifications = _remind(
            plan, ReminderKind.UNSIGNED, due, day, counts, recipients=_recipients, notification=_notification
        )
        if notifications is not None:
            counts[ReminderKind.UNSIGNED] += 1
            counts["notifications"] += len(notifications)
    return _resolve_stale()


def _candidates(today: datetime.date | None) -> list[TreatmentPlan]:
    """One query: the active plans not fully signed, started at least a day ago, never reminded of it."""
    latest_start = (today or timezone.now().date() + datetime.timedelta(days=1)) - datetime.timedelta(
        days=MIN_REMINDER_DAYS
    )
    reminded = ReviewReminder.objects.filter(plan=OuterRef("pk"), kind=ReminderKind.UNSIGNED)
    return list(
        TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE, start_date__lte=latest_start)
        .exclude(signature_status=SignatureStatus.SIGNED)
        .exclude(Exists(reminded))
        .select_related("patient__practice", "therapist__supervisor")
        .order_by("start_date", "pk")
    )


def _recipients(plan: TreatmentPlan, kind: str) -> list[User]:
    """The plan's clinician; and their supervisor when the supervisor's co-signature is what the plan awaits."""
    people = [plan.therapist]
    supervisor = plan.therapist.supervisor
    waits_for_supervisor = plan.signature_status == SignatureStatus.AWAITING_SUPERVISOR
    if waits_for_supervisor and supervisor is not None and supervisor.pk != plan.therapist_id:
        people.append(supervisor)
    return [person for person in people if person.is_active]


def _notification(plan: TreatmentPlan, reminder: ReviewReminder, recipient: User, today: datetime.date) -> Notification:
    """What the reminder says: no PHI beyond the patient's initials (as the review reminders)."""
    initials = plan.patient.initials
    whose = "Your" if recipient.pk == plan.therapist_id else f"{plan.therapist.get_full_name()}'s"
    awaits: dict[str, str] = {
        SignatureStatus.UNSIGNED: "the clinician's signature",
        SignatureStatus.AMENDED_UNSIGNED: "signing again after its amendment",
        SignatureStatus.AWAITING_CLIENT: "the client's signature",
        SignatureStatus.AWAITING_SUPERVISOR: "the supervisor's co-signature",
    }
    waiting = awaits.get(plan.signature_status, "its signatures")
    body = (
        f"{whose} treatment plan for {initials} started on {date_format(plan.start_date)} and is not fully signed "
        f"yet: it awaits {waiting}."
    )
    return Notification(
        recipient=recipient,
        kind=reminder.kind,
        title=f"Treatment plan not yet signed — {initials}",
        body=body,
        link=_plan_path(plan),
        plan=plan,
        reminder=reminder,
    )


def _resolve_stale() -> int:
    """Settle the unsigned reminders of plans that are fully signed or no longer active, and their notifications."""
    still_waiting = TreatmentPlan.objects.filter(pk=OuterRef("plan_id"), status=PlanStatus.ACTIVE).exclude(
        signature_status=SignatureStatus.SIGNED
    )
    stale = list(
        ReviewReminder.objects.filter(kind=ReminderKind.UNSIGNED, resolved_at__isnull=True)
        .exclude(Exists(still_waiting))
        .order_by()
        .values_list("pk", flat=True)
    )
    unsigned_reminders_settle(stale, timezone.now())
    return len(stale)


def unsigned_reminders_settle(reminder_ids: list, now: datetime.datetime) -> None:
    """The reminders no longer ask for anything, nor do the notifications they sent (marked read)."""
    if not reminder_ids:
        return
    ReviewReminder.objects.filter(pk__in=reminder_ids).update(resolved_at=now)
    Notification.objects.filter(reminder_id__in=reminder_ids, read_at__isnull=True).update(read_at=now)
