"""Reads for the dashboard, the notifications and the readiness check: each a fixed number of queries, however
many plans."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Avg, Count, Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import MAX_REVIEW_LEAD_DAYS, Patient, Role, User
from reviews.models import Notification, NotificationQuerySet, PlanReview, ProgressReport, ReportStatus
from treatment.models import PlanStatus, ReviewStatus, SignatureStatus, TreatmentPlan

#: The review statuses that put a plan on the "Needs review" list.
NEEDS_REVIEW = (ReviewStatus.OVERDUE, ReviewStatus.DUE, ReviewStatus.DUE_SOON)
#: A practice admin's "Needs review" shows this many of the most urgent plans (the rest are counted).
NEEDS_REVIEW_LIMIT = 50


def today_for(user: User) -> datetime.date:
    """The date on the user's practice's calendar (a superuser without a practice: the server's)."""
    practice = getattr(user, "practice", None)
    return practice.today() if practice is not None else timezone.localdate()


# --- Notifications ---------------------------------------------------------------------------------


def user_notifications(user: User) -> NotificationQuerySet:
    """The user's own notifications, unread first then newest; none about a plan they can no longer see.

    (After a transfer of care the old therapist's reminders would only lead to a 404, and even their
    initials are more than that therapist should now read.)
    """
    if not (user and user.is_authenticated):
        return Notification.objects.none()
    visible_plans = TreatmentPlan.objects.restrict(user, "view").values("pk")
    visible_patients = Patient.objects.restrict(user, "view").values("pk")
    return Notification.objects.for_user(user).filter(
        Q(plan__isnull=True, measurement__isnull=True)
        | Q(plan__in=visible_plans)
        | Q(plan__isnull=True, measurement__patient__in=visible_patients)
    )


def has_unread_notifications(user: User) -> bool:
    """Whether any of the user's own notifications is unread, seen or not: one look-up on the (recipient, read_at)
    index, which answers the usual case (none) before `user_notifications`' access subqueries are planned, a query
    PostgreSQL takes longer to plan than to run."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def latest_unread_notifications(user: User, limit: int = 5) -> list[Notification]:
    if not has_unread_notifications(user):
        return []
    return list(user_notifications(user).unread()[:limit])


# --- Reviews awaiting the user's co-signature -----------------------------------------------------


def reviews_awaiting_cosign(user: User) -> QuerySet[PlanReview]:
    """The reviews the user may co-sign and has not: not co-signed, of a plan whose therapist, or by a reviewer,
    the user supervises, not their own, among those they may view; newest first, in one query."""
    if not (user and user.is_authenticated):
        return PlanReview.objects.none()
    return (
        PlanReview.objects.restrict(user, "view")
        .filter(cosigned_by__isnull=True)
        .filter(Q(plan__therapist__supervisor=user) | Q(reviewer__supervisor=user))
        .exclude(reviewer=user)
        .select_related("plan__patient", "reviewer")
        .order_by("-review_date", "-created_at")
    )


# --- The caseload ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadPlan:
    """An active plan on the dashboard, with where it stands against its review date on the dashboard's day."""

    plan: TreatmentPlan
    review: ReviewStatus
    #: Days until the review date (negative once it has passed); None for a plan without one.
    days_to_review: int | None

    @property
    def days_overdue(self) -> int:
        return -self.days_to_review if self.days_to_review is not None and self.days_to_review < 0 else 0


@dataclass
class TherapistGroup:
    """One clinician's active plans, for a supervisor's or a practice admin's dashboard."""

    therapist: User
    plans: list[CaseloadPlan]

    @property
    def needing_review(self) -> int:
        return sum(row.review in NEEDS_REVIEW for row in self.plans)


@dataclass(frozen=True)
class TherapistSummary:
    """One clinician's active plans in figures, for a practice admin's dashboard (no patient is named)."""

    therapist_id: uuid.UUID
    name: str
    active: int
    overdue: int
    due: int
    due_soon: int
    average_progress: int

    @property
    def needing_review(self) -> int:
        return self.overdue + self.due + self.due_soon


@dataclass
class Caseload:
    """The active plans a dashboard shows: the user's own, the others' by therapist, and those due for review.

    A practice admin's practice may hold thousands of plans: they get `summary` (each therapist's figures)
    instead of `groups`, and only the NEEDS_REVIEW_LIMIT most urgent plans in `needs_review`, of
    `needs_review_total`.
    """

    today: datetime.date
    #: "therapist", "supervisor" (own caseload + supervisees') or "practice" (a practice admin: everyone's).
    scope: str
    mine: list[CaseloadPlan] = field(default_factory=list)
    groups: list[TherapistGroup] = field(default_factory=list)
    needs_review: list[CaseloadPlan] = field(default_factory=list)
    summary: list[TherapistSummary] = field(default_factory=list)
    needs_review_total: int = 0

    @property
    def plans(self) -> list[TreatmentPlan]:
        """Every plan shown (each is a read of its patient's record), once."""
        rows = [*self.mine, *(row for group in self.groups for row in group.plans), *self.needs_review]
        shown: dict[uuid.UUID, TreatmentPlan] = {}
        for row in rows:
            shown.setdefault(row.plan.pk, row.plan)
        return list(shown.values())


def dashboard_scope(user: User) -> str:
    if user.acts_for_practice():
        return "practice"
    if user.role == Role.SUPERVISOR:
        return "supervisor"
    return "therapist"


def caseload_plans(user: User) -> QuerySet[TreatmentPlan]:
    """The active plans in the user's scope, among those they may view.

    A therapist: their own plans. A supervisor: theirs and their supervisees'. A practice admin: the
    practice's (the access rule already narrows them to their practice).
    """
    plans = TreatmentPlan.objects.restrict(user, "view").filter(status=PlanStatus.ACTIVE)
    scope = dashboard_scope(user)
    if scope == "therapist":
        plans = plans.filter(therapist=user)
    elif scope == "supervisor":
        plans = plans.filter(Q(therapist=user) | Q(therapist__supervisor=user))
    return plans.select_related("patient__practice", "therapist")


def _with_review_fields(plans: list[TreatmentPlan], today: datetime.date) -> list[CaseloadPlan]:
    return [
        CaseloadPlan(
            plan=plan,
            review=ReviewStatus(plan.review_status(today)),
            days_to_review=(plan.next_review_date - today).days if plan.next_review_date else None,
        )
        for plan in plans
    ]


def _by_urgency(row: CaseloadPlan) -> tuple[datetime.date | None, str, str]:
    # Overdue first (the longest overdue at the top), then due today, then due soon: that is the date order.
    plan = row.plan
    return (plan.next_review_date, plan.patient.last_name, plan.patient.first_name)


def caseload(user: User, today: datetime.date) -> Caseload:
    """The dashboard's plans, each with its review status on `today`.

    A therapist's and a supervisor's: one query for every active plan in scope. A practice admin's: one
    query for the figures by therapist and one for the most urgent plans, however large the practice.
    """
    scope = dashboard_scope(user)
    if scope == "practice":
        return _practice_caseload(user, today)
    plans = _with_review_fields(
        list(
            caseload_plans(user).order_by(
                "therapist__full_name", "therapist__email", "therapist_id", "patient__last_name", "patient__first_name"
            )
        ),
        today,
    )
    result = Caseload(today=today, scope=scope)
    result.mine = [row for row in plans if row.plan.therapist_id == user.pk]
    others = [row for row in plans if row.plan.therapist_id != user.pk]
    result.groups = [
        TherapistGroup(therapist=group[0].plan.therapist, plans=group)
        for group in (list(rows) for _, rows in groupby(others, key=lambda row: row.plan.therapist_id))
    ]
    result.needs_review = sorted((row for row in plans if row.review in NEEDS_REVIEW), key=_by_urgency)
    result.needs_review_total = len(result.needs_review)
    return result


def _practice_caseload(user: User, today: datetime.date) -> Caseload:
    practice = user.practice
    lead = practice.review_reminder_lead_days if practice is not None else MAX_REVIEW_LEAD_DAYS
    plans = caseload_plans(user)
    due = Q(next_review_date=today)
    overdue = Q(next_review_date__lt=today)
    soon = Q(next_review_date__gt=today, next_review_date__lte=today + datetime.timedelta(days=lead))
    rows = (
        plans.order_by()
        .values("therapist_id", "therapist__full_name", "therapist__email")
        .annotate(
            active=Count("pk"),
            overdue=Count("pk", filter=overdue),
            due=Count("pk", filter=due),
            due_soon=Count("pk", filter=soon),
            average=Avg("overall_progress"),
        )
        .order_by("therapist__full_name", "therapist__email")
    )
    summary = [
        TherapistSummary(
            therapist_id=row["therapist_id"],
            name=row["therapist__full_name"] or row["therapist__email"],
            active=row["active"],
            overdue=row["overdue"],
            due=row["due"],
            due_soon=row["due_soon"],
            average_progress=round(row["average"] or 0),
        )
        for row in rows
    ]
    # The most urgent, in the database (a superuser's practices may each set their own lead: the widest
    # window is read and each plan's own status decides).
    window = plans.filter(next_review_date__lte=today + datetime.timedelta(days=lead)).order_by(
        "next_review_date", "patient__last_name", "patient__first_name", "pk"
    )
    urgent = [
        row for row in _with_review_fields(list(window[: NEEDS_REVIEW_LIMIT * 2]), today) if row.review in NEEDS_REVIEW
    ]
    return Caseload(
        today=today,
        scope="practice",
        needs_review=urgent[:NEEDS_REVIEW_LIMIT],
        summary=summary,
        needs_review_total=sum(row.needing_review for row in summary),
    )


# --- Treatment Plan Currency -----------------------------------------------------------------------


def _percent(part: int, total: int) -> int | None:
    """Rounded half up (85.7 -> 86, 12.5 -> 13); None when there is nothing to count."""
    if not total:
        return None
    return (200 * part + total) // (2 * total)


@dataclass(frozen=True)
class Currency:
    """How many active patients have a current plan (an active plan whose review is not overdue), and how many
    a current plan that is also signed (a fully signed version is in force): the dashboard shows both."""

    current: int
    total: int
    current_signed: int = 0

    @property
    def percent(self) -> int | None:
        return _percent(self.current, self.total)

    @property
    def signed_percent(self) -> int | None:
        return _percent(self.current_signed, self.total)


def plan_currency(user: User, today: datetime.date) -> Currency:
    """Treatment Plan Currency over the active patients the user may view (their caseload; a supervisor's
    includes their supervisees'; a practice admin's is the practice), in one query."""
    current_plan = TreatmentPlan.objects.filter(patient=OuterRef("pk"), status=PlanStatus.ACTIVE).filter(
        Q(next_review_date__isnull=True) | Q(next_review_date__gte=today)
    )
    counts = (
        Patient.objects.restrict(user, "view")
        .filter(status=Patient.Status.ACTIVE)
        .aggregate(
            total=Count("pk"),
            current=Count("pk", filter=Exists(current_plan)),
            current_signed=Count("pk", filter=Exists(current_plan.filter(signed_version__isnull=False))),
        )
    )
    return Currency(current=counts["current"], total=counts["total"], current_signed=counts["current_signed"])


# --- Plans awaiting signatures ---------------------------------------------------------------------

#: The dashboard lists at most this many plans awaiting signatures (the oldest first; the rest are counted).
SIGNATURE_LIST_LIMIT = 100
#: A plan awaits its clinician's signature when none counts: never signed, or changed since it was.
AWAITING_CLINICIAN = (SignatureStatus.UNSIGNED, SignatureStatus.AMENDED_UNSIGNED)


@dataclass(frozen=True)
class SignatureQueues:
    """The active plans in the user's scope that are not fully signed, by the signature they await.

    A clinician's: `to_sign` (their own plans awaiting their signature: never signed, or changed since),
    `awaiting_client` and `awaiting_supervisor` (their plans waiting on someone else) and `to_cosign` (their
    supervisees' plans awaiting their co-signature), at most SIGNATURE_LIST_LIMIT in all, oldest start first.
    A practice admin's are figures, as the rest of their dashboard: `counts` by status over the practice.
    `total` counts them all, listed or not.
    """

    to_sign: list[TreatmentPlan] = field(default_factory=list)
    awaiting_client: list[TreatmentPlan] = field(default_factory=list)
    awaiting_supervisor: list[TreatmentPlan] = field(default_factory=list)
    to_cosign: list[TreatmentPlan] = field(default_factory=list)
    total: int = 0
    #: A practice admin's: {status: plans} for the statuses short of signed (in SignatureStatus order).
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def plans(self) -> list[TreatmentPlan]:
        return [*self.to_sign, *self.awaiting_client, *self.awaiting_supervisor, *self.to_cosign]

    @property
    def listed(self) -> int:
        return len(self.plans)

    @property
    def figures(self) -> list[tuple[str, int]]:
        """(label, count) of a practice admin's counts."""
        return [(str(SignatureStatus(status).label), count) for status, count in self.counts.items()]


def signature_queues(user: User, known: Mapping[uuid.UUID, TreatmentPlan] | None = None) -> SignatureQueues:
    """The plans awaiting each signature: one query (two when the list is cut at its limit).

    `known` are plans already loaded for the same page (the caseload's): the query then reads only which plans
    wait, in order, and loads just those it does not hold (one more query, only when there are any).
    """
    plans = caseload_plans(user).exclude(signature_status=SignatureStatus.SIGNED)
    if dashboard_scope(user) == "practice":
        waiting = [status for status in SignatureStatus.values if status != SignatureStatus.SIGNED]
        counts = plans.order_by().aggregate(
            **{status: Count("pk", filter=Q(signature_status=status)) for status in waiting}
        )
        return SignatureQueues(total=sum(counts.values()), counts={status: counts[status] for status in waiting})
    # The user's own plans, and their supervisees' only where the user's co-signature is what waits.
    plans = plans.filter(
        Q(therapist=user) | Q(therapist__supervisor=user, signature_status=SignatureStatus.AWAITING_SUPERVISOR)
    )
    ordered = plans.order_by("start_date", "patient__last_name", "pk")
    if known is None:
        rows = list(ordered[:SIGNATURE_LIST_LIMIT])
    else:
        queued: list[uuid.UUID] = list(ordered.values_list("pk", flat=True)[:SIGNATURE_LIST_LIMIT])
        missing = [pk for pk in queued if pk not in known]
        loaded = {plan.pk: plan for plan in plans.filter(pk__in=missing)} if missing else {}
        rows = [known[pk] if pk in known else loaded[pk] for pk in queued]
    own = [plan for plan in rows if plan.therapist_id == user.pk]
    return SignatureQueues(
        to_sign=[plan for plan in own if plan.signature_status in AWAITING_CLINICIAN],
        awaiting_client=[plan for plan in own if plan.signature_status == SignatureStatus.AWAITING_CLIENT],
        awaiting_supervisor=[plan for plan in own if plan.signature_status == SignatureStatus.AWAITING_SUPERVISOR],
        to_cosign=[plan for plan in rows if plan.therapist_id != user.pk],
        total=len(rows) if len(rows) < SIGNATURE_LIST_LIMIT else plans.count(),
    )


# --- The render queue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingReports:
    """The reports waiting for a worker: how many, and how long ago the oldest was asked for."""

    count: int
    oldest_age: datetime.timedelta | None


def pending_reports(*, now: datetime.datetime | None = None) -> PendingReports:
    """The `pending` reports, counted, with the age of the oldest (one query): /readyz's queue check.

    While the broker and the workers are up, a report waits minutes at most.
    """
    found = ProgressReport.objects.filter(status=ReportStatus.PENDING).aggregate(
        count=Count("pk"), oldest=Min("requested_at")
    )
    if found["oldest"] is None:
        return PendingReports(count=0, oldest_age=None)
    age = max((now or timezone.now()) - found["oldest"], datetime.timedelta(0))
    return PendingReports(count=found["count"], oldest_age=age)
