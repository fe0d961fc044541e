"""Recording a plan review (which seals the plan's version) and co-signing one.

A review looks at the plan as it stands, may update its goals in the same breath, and then seals that
state: the plan's current version becomes an immutable `PlanVersion` snapshot, the plan moves on to the
next version number and its next review date, and the review reminders it had raised are settled.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from accounts.access import can
from accounts.audit import Action, AuditContext, audit_record, diff, snapshot
from accounts.concurrency import check_if_match
from accounts.models import User
from accounts.validators import validate_clinical_date
from reviews.models import Notification, PlanReview, ReminderKind, ReviewReminder
from reviews.services.versions import version_seal
from reviews.snapshots import plan_snapshot
from treatment.models import GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.services import goal_update
from treatment.services.amendments import REASON_MAX_LENGTH as AMENDMENT_REASON_MAX_LENGTH
from treatment.services.common import lock_plan, require_change, require_open

#: What a review records (the audit diff and the API use this list).
REVIEW_FIELDS = (
    "plan",
    "review_date",
    "reviewer",
    "summary",
    "goals_reviewed",
    "goals_on_track",
    "modifications_made",
    "next_review_date",
    "version",
)
#: What a review may change on each goal while it looks at it.
GOAL_CHANGE_FIELDS = ("status", "progress_percentage", "current_value")
ON_TRACK = (GoalStatus.ACHIEVED, GoalStatus.IN_PROGRESS)
#: The kind of the in-app notification that asks a clinical supervisor to co-sign a review.
COSIGN_REQUESTED = "cosign_requested"
#: How the review date reads in that notification ("Thu 8 Oct 2026"), as in the reminders.


def _check_review(
    plan: TreatmentPlan,
    *,
    review_date: datetime.date | None,
    summary: str,
    goals_reviewed: int | None,
    goals_on_track: int | None,
    next_review_date: datetime.date | None,
) -> None:
    """Every refusal about the review's own fields at once, each under the field it names."""
    errors: dict[str, str] = {}
    # The next review is computed from the review date: both within the clinical range first.
    for name, value in (("review_date", review_date), ("next_review_date", next_review_date)):
        try:
            validate_clinical_date(value)
        except ValidationError as error:
            errors[name] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    if not (summary or "").strip():
        errors["summary"] = "Write what the review found."
    if review_date is None:
        errors["review_date"] = "Give the date of the review."
    elif review_date > plan.patient.practice.today():
        errors["review_date"] = "A review is recorded after it happens; this date is in the future."
    elif review_date < plan.start_date:
        errors["review_date"] = f"The review cannot be before the plan started ({date_format(plan.start_date)})."
    if next_review_date is not None and review_date is not None and next_review_date <= review_date:
        errors["next_review_date"] = "The next review must come after this one."
    if goals_reviewed is not None and goals_reviewed < 0:
        errors["goals_reviewed"] = "Cannot be negative."
    if goals_on_track is not None and goals_on_track < 0:
        errors["goals_on_track"] = "Cannot be negative."
    elif goals_on_track is not None and goals_reviewed is not None and goals_on_track > goals_reviewed:
        errors["goals_on_track"] = "Cannot be more than the goals reviewed."
    if errors:
        raise ValidationError(errors)


def review_check(
    *,
    plan: TreatmentPlan,
    review_date: datetime.date | None,
    summary: str,
    next_review_date: datetime.date | None,
) -> None:
    """The review's own fields checked as `review_record` checks them, without recording anything: the review
    page asks it while it parses, so one submit shows every error."""
    _check_review(
        plan,
        review_date=review_date,
        summary=summary,
        goals_reviewed=None,
        goals_on_track=None,
        next_review_date=next_review_date,
    )


def _apply_goal_changes(by: AuditContext, plan: TreatmentPlan, goal_changes: dict, reason: str) -> None:
    """Update the goals the review changed, through goal_update (its rules, rollup and audit apply).

    On a signed plan each change is an amendment whose reason is the review (`reason`), so the version diff
    says which review changed a goal's status.
    """
    goals = {str(g.pk): g for g in TreatmentGoal.objects.filter(plan_id=plan.pk)}
    for key, fields in goal_changes.items():
        goal = goals.get(str(key))
        if goal is None:
            raise ValidationError({"goal_changes": f"{key} is not a goal of this plan."})
        unknown = set(fields or {}) - set(GOAL_CHANGE_FIELDS)
        if unknown:
            raise ValidationError(
                {f"goal_changes[{key}]": f"A review changes only {', '.join(GOAL_CHANGE_FIELDS)} of a goal."}
            )
        if not fields:
            continue
        try:
            goal_update(by=by, goal=goal, amendment_reason=reason, **fields)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                raise ValidationError(
                    {f"goal_changes[{key}].{field}": messages for field, messages in error.message_dict.items()}
                ) from error
            raise ValidationError({f"goal_changes[{key}]": error.messages}) from error


def _goal_counts(sealed: dict) -> tuple[int, int]:
    """(goals reviewed, goals on track) of a snapshot: those not discontinued, and the achieved or in progress."""
    statuses = [goal["status"] for goal in sealed["goals"] if goal["status"] != GoalStatus.DISCONTINUED]
    return len(statuses), sum(1 for status in statuses if status in ON_TRACK)


def _settle_reminders(plan: TreatmentPlan, now: datetime.datetime) -> None:
    """The reminders that asked for this review are answered; so are the notifications they sent. (A reminder
    that the plan is unsigned is not: a review does not sign the plan.)"""
    open_reminders = list(
        ReviewReminder.objects.filter(plan=plan, resolved_at__isnull=True)
        .exclude(kind=ReminderKind.UNSIGNED)
        .values_list("pk", flat=True)
    )
    if not open_reminders:
        return
    ReviewReminder.objects.filter(pk__in=open_reminders).update(resolved_at=now)
    Notification.objects.filter(reminder_id__in=open_reminders, read_at__isnull=True).update(read_at=now)


def _cosigners(plan: TreatmentPlan, reviewer: User) -> list[User]:
    """Who may co-sign a review of `plan` by `reviewer` and should be asked: the active clinical supervisor
    of the plan's therapist and of the reviewer (once each), not the reviewer, and able to view the patient."""
    people: dict = {}
    for person in (plan.therapist.supervisor, reviewer.supervisor):
        if person is not None and person.is_active and person.pk != reviewer.pk:
            people.setdefault(person.pk, person)
    return [person for person in people.values() if can(person, "view", plan.patient)]


def _request_cosign(plan: TreatmentPlan, review: PlanReview) -> list[Notification]:
    """Tell the supervisors a review awaits their co-signature: in-app only, no PHI beyond the initials."""
    reviewer = review.reviewer
    initials = plan.patient.initials
    reviewed_on = date_format(review.review_date)
    name = reviewer.get_full_name() or reviewer.email
    body = f"{name} reviewed the treatment plan for {initials} on {reviewed_on}; it awaits your co-signature."
    return Notification.objects.bulk_create(
        [
            Notification(
                recipient=supervisor,
                kind=COSIGN_REQUESTED,
                title=f"Review to co-sign — {initials}",
                body=body,
                link=plan.get_absolute_url(),
                plan=plan,
            )
            for supervisor in _cosigners(plan, reviewer)
        ]
    )


def _awaiting(user_id) -> QuerySet[PlanReview]:
    """The uncosigned reviews this user may co-sign (as the supervisor of the plan's therapist or of the reviewer)."""
    return (
        PlanReview.objects.filter(cosigned_by__isnull=True)
        .filter(Q(plan__therapist__supervisor_id=user_id) | Q(reviewer__supervisor_id=user_id))
        .exclude(reviewer_id=user_id)
    )


def _settle_cosign_requests(plan_id, now: datetime.datetime) -> None:
    """Once a review is co-signed, the co-sign requests about its plan are read for every recipient with no
    other review of that plan still awaiting their co-signature (the one who signed, and any other supervisor
    who was asked about the same review)."""
    requests = Notification.objects.filter(kind=COSIGN_REQUESTED, plan_id=plan_id, read_at__isnull=True)
    for recipient_id in set(requests.values_list("recipient_id", flat=True)):
        if not _awaiting(recipient_id).filter(plan_id=plan_id).exists():
            requests.filter(recipient_id=recipient_id).update(read_at=now)


@transaction.atomic
def review_record(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    review_date: datetime.date,
    summary: str,
    goals_reviewed: int | None = None,
    goals_on_track: int | None = None,
    modifications_made: str = "",
    next_review_date: datetime.date | None = None,
    goal_changes: dict | None = None,
    if_match: str | None = None,
) -> PlanReview:
    """Record a review of a plan and seal the version it reviewed.

    `goal_changes` = {goal_id: {"status", "progress_percentage", "current_value"}} is applied first, so the
    sealed snapshot is the plan as reviewed. Without figures, the goals reviewed are the plan's goals that are
    not discontinued and those on track the achieved or in-progress ones. The next review defaults to the
    review date plus the plan's review frequency. The clinical supervisors who may co-sign the review are
    told in-app that it awaits their co-signature (`_request_cosign`).
    """
    plan = lock_plan(plan.pk)
    require_change(by, plan.patient)
    if by.user is None:
        raise ValidationError({"reviewer": "A review is recorded by the clinician who held it."})
    check_if_match(plan.etag, if_match)
    require_open(plan)
    summary = (summary or "").strip()
    _check_review(
        plan,
        review_date=review_date,
        summary=summary,
        goals_reviewed=goals_reviewed,
        goals_on_track=goals_on_track,
        next_review_date=next_review_date,
    )
    if goal_changes:
        why = (modifications_made or "").strip() or summary
        reason = f"Plan review of {date_format(review_date, 'j M Y')}: {why}"[:AMENDMENT_REASON_MAX_LENGTH]
        _apply_goal_changes(by, plan, goal_changes, reason)
        # The rollup may have moved the plan's overall progress, an amendment its signature status.
        plan.refresh_from_db(fields=["overall_progress", "signature_status"])
    sealed_state = plan_snapshot(plan)
    counted_reviewed, counted_on_track = _goal_counts(sealed_state)
    if goals_reviewed is None:
        goals_reviewed = counted_reviewed
    if goals_on_track is None:
        goals_on_track = min(counted_on_track, goals_reviewed)
    elif goals_on_track > goals_reviewed:
        raise ValidationError({"goals_on_track": f"Cannot be more than the goals reviewed ({goals_reviewed})."})

    sealed = plan.version
    review = PlanReview.objects.create(
        plan=plan,
        review_date=review_date,
        reviewer=by.user,
        summary=summary,
        goals_reviewed=goals_reviewed,
        goals_on_track=goals_on_track,
        modifications_made=(modifications_made or "").strip(),
        next_review_date=next_review_date or review_date + datetime.timedelta(days=plan.review_frequency_days),
        version=sealed,
    )
    version_seal(by=by, plan=plan, state=sealed_state, review=review)

    before = snapshot(plan, ("version", "next_review_date"))
    plan.version = sealed + 1
    plan.next_review_date = review.next_review_date
    plan.save(update_fields=["version", "next_review_date", "updated_at"])
    _settle_reminders(plan, timezone.now())
    _request_cosign(plan, review)

    audit_record(by, Action.CREATE, review, patient=plan.patient, changes=diff({}, snapshot(review, REVIEW_FIELDS)))
    audit_record(by, Action.UPDATE, plan, changes=diff(before, snapshot(plan, ("version", "next_review_date"))))
    return review


@transaction.atomic
def review_cosign(*, by: AuditContext, review: PlanReview) -> PlanReview:
    """A clinical supervisor co-signs a review: the plan's therapist's supervisor or the reviewer's.

    Not the reviewer themself, and only once (a conditional UPDATE, so two clicks cannot both win).
    """
    plan = lock_plan(review.plan_id)  # with its patient and therapist: the review need not read them again
    review = PlanReview.objects.select_related("reviewer").get(pk=review.pk)
    review.plan = plan
    user = by.user
    if user is None or review.reviewer_id == user.pk:
        raise PermissionDenied("A review is co-signed by a supervisor other than its reviewer.")
    if user.pk not in (review.plan.therapist.supervisor_id, review.reviewer.supervisor_id):
        raise PermissionDenied("Only the clinical supervisor of the plan's therapist or of the reviewer co-signs.")
    now = timezone.now()
    signed = PlanReview.objects.filter(pk=review.pk, cosigned_by__isnull=True).update(cosigned_by=user, cosigned_at=now)
    if not signed:
        raise ValidationError({"cosigned_by": "This review is already co-signed."})
    review.cosigned_by, review.cosigned_at = user, now
    _settle_cosign_requests(review.plan_id, now)
    audit_record(
        by,
        Action.UPDATE,
        review,
        patient=review.plan.patient,
        changes={"cosigned_by": [None, str(user.pk)], "cosigned_at": [None, now.isoformat()]},
    )
    return review
