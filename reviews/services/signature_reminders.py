"""The unsigned-plan pass of the reminder sweep: a plan still not fully signed `Practice.signature_reminder_days`
after its start date reminds its clinician, and the clinician's supervisor when their co-signature is what waits.

Once per plan: the reminder's `due_date` is the start date plus those days, and the reminders' unique constraint
(plan, kind, due date) decides between two sweeps or two workers, a batch's INSERT skipping those already there, as
for the review reminders (`reviews.services.reminders._remind`, whose notification and PHI-free email path this uses).
Signing the plan fully settles the reminder (`reviews.services.signatures`); so does the plan leaving `active`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Practice, User
from reviews.models import Notification, ReminderKind, ReviewReminder
from reviews.services.reminders import CANDIDATE_FIELDS, Candidate, _plan_path, _practice_days, _remind, keyset_batches
from treatment.models import PlanStatus, SignatureStatus, TreatmentPlan


def unsigned_reminders_send(
    *,
    today: datetime.date | None,
    counts: dict[str, int],
    at_practice_hour: bool = False,
    queue_emails: bool = False,
    practices: list[Practice] | None = None,
) -> int:
    """Remind the clinicians of the active plans not fully signed in time; adds to `counts` ("unsigned",
    "notifications", "emails") and returns how many unsigned reminders it settled as stale.

    `today`, `at_practice_hour` and `queue_emails` as for `review_reminders_send`, whose sweep calls this with the
    practices it read; the reminders go through its batches (`_remind`), with this pass's recipients and words.
    """
    for batch in _candidates(today, at_practice_hour=at_practice_hour, practices=practices):
        _remind(batch, counts, queue_emails=queue_emails, recipients=_recipients, notification=_notification)
    return _resolve_stale()


def _candidates(
    today: datetime.date | None, *, at_practice_hour: bool = False, practices: list[Practice] | None = None
) -> Iterator[list[Candidate]]:
    """The active plans not fully signed, due a reminder on their practice's date and never reminded of it, in
    batches of the sweep's `BATCH_SIZE`, by start date.

    As for the review pass (`reviews.services.reminders._candidates`), SQL selects only what is due: per group
    of practices sharing a date and `signature_reminder_days`, the plans started those days or more before it,
    so a sweep reads no plan that is not yet due, nor one already reminded. Pages are keyset ranges.
    """
    groups = _practice_days(today, at_practice_hour, "signature_reminder_days", practices)
    if not groups:
        return
    started_long_enough = Q()
    day_of: dict[object, datetime.date] = {}
    days_of: dict[object, datetime.timedelta] = {}
    for (day, days), practice_ids in groups.items():
        wait = datetime.timedelta(days=days)
        started_long_enough |= Q(patient__practice_id__in=practice_ids, start_date__lte=day - wait)
        day_of.update(dict.fromkeys(practice_ids, day))
        days_of.update(dict.fromkeys(practice_ids, wait))
    reminded = ReviewReminder.objects.filter(plan=OuterRef("pk"), kind=ReminderKind.UNSIGNED)
    due = (
        TreatmentPlan.objects.filter(started_long_enough, status=PlanStatus.ACTIVE)
        .exclude(signature_status=SignatureStatus.SIGNED)
        .exclude(Exists(reminded))
        .select_related("patient", "therapist__supervisor")
        .only(*CANDIDATE_FIELDS, "start_date", "signature_status")
        .order_by("start_date", "pk")
    )
    for plans in keyset_batches(due, "start_date"):
        yield [
            Candidate(
                plan,
                ReminderKind.UNSIGNED,
                plan.start_date + days_of[plan.patient.practice_id],
                day_of[plan.patient.practice_id],
            )
            for plan in plans
        ]


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
