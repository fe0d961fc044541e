"""Asking for a PDF progress report, and rendering it in the worker.

**The row is the truth; the broker carries a hint.** A request writes a `pending` row and, once that row
is committed, hands the render to the broker. The request never depends on the broker: if it cannot be
reached the request still succeeds, the row stays `pending` with `queued_at` empty, and a warning is
logged. A recovery sweep that celery-beat runs every 2 minutes makes every row reach an end:

- a `pending` row the broker never accepted is sent again;
- a `pending` row it accepted but no worker has claimed `REPORT_UNCLAIMED_AFTER` later is sent again once
  the broker's queue has drained (its message was lost: a broker restarted without its data; while
  messages still wait, the workers are behind and it waits its turn);
- a `pending` row still unclaimed `REPORT_PENDING_MAX_AGE` after it was asked for is `failed`, saying so;
- a `rendering` row whose render stopped without finishing (the hard time limit, a worker that died) is
  queued again, or `failed` after its last attempt.

Every move is a conditional UPDATE on the state it read, so two sweeps at once send a row once, and a
message delivered twice is harmless: the worker claims the row with a conditional UPDATE (pending ->
rendering), so only one render runs. It writes the PDF to storage and only then marks the row `ready`,
so a half-written file is never served. A failed attempt puts the row back to `pending` with the reason
(the task retries it with backoff); the last failed attempt leaves it `failed` with the reason.

The monthly reports celery-beat asks for carry no requester; the unique constraint
`scheduled_report_once_per_period` makes asking twice for the same plan and period one report.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format

from accounts.access import can
from accounts.audit import Action, AuditContext, audit_record
from accounts.models import Practice
from accounts.validators import check_clinical_dates
from reviews.models import ProgressReport, ReportStatus
from reviews.reports import render_pdf, report_filename, report_html
from reviews.services import rendering
from reviews.services.rendering import (  # noqa: F401 (the reports' names, kept for their callers)
    BROKER_ERRORS,
    MAX_ERROR_LENGTH,
    STALL_GRACE,
    RenderKind,
    ReportRenderError,
)
from treatment.models import PlanStatus, TreatmentPlan

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

#: A report without dates covers this many days, ending today (the practice's today).
DEFAULT_PERIOD_DAYS = 30
#: The longest period one report covers (five years): longer ones would make unwieldy documents.
MAX_PERIOD_DAYS = 5 * 366
#: The most rows one recovery sweep sends again; the next sweep takes the rest.
REQUEUE_BATCH = 500


def _render_task() -> Task:
    from reviews.tasks.reports import render_progress_report

    return render_progress_report


REPORTS = RenderKind(
    model=ProgressReport,
    label="progress report",
    task=_render_task,
    # Looked up when called, so that `render_pdf` and `report_html` are this module's names at that time.
    render=lambda report: render_pdf(report_html(report)),
    filename=lambda report: report_filename(report),
    logger=logger,
    select_related=("plan",),
)


def _enqueue(*report_ids: str) -> int:
    """Hand these reports' renders to the broker, in order; returns how many it accepted (`rendering.enqueue`)."""
    return rendering.enqueue(REPORTS, *report_ids)


def _enqueue_on_commit(report_ids: list[str]) -> None:
    rendering.enqueue_on_commit(lambda *ids: _enqueue(*ids), report_ids)


def _period(
    plan: TreatmentPlan, start: datetime.date | None, end: datetime.date | None
) -> tuple[datetime.date, datetime.date]:
    check_clinical_dates(period_start=start, period_end=end)  # before the default start is computed
    today = plan.patient.practice.today()
    end = end or today
    start = start or end - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    errors: dict[str, str] = {}
    if end > today:
        errors["period_end"] = f"The period cannot end in the future (today is {date_format(today)})."
    if start > end:
        errors["period_start"] = "The period must start on or before its end."
    elif (end - start).days >= MAX_PERIOD_DAYS:
        errors["period_start"] = f"A report covers at most {MAX_PERIOD_DAYS} days; choose a later start."
    if errors:
        raise ValidationError(errors)
    return start, end


def report_request(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    include_narratives: bool = True,
) -> ProgressReport:
    """Ask for a PDF progress report of `plan` (by default over the last 30 days); it renders in the worker.

    With `include_narratives` the PDF lists each session of the period with its notes, each goal's progress
    note and the session's addenda. Reading the plan is enough to ask (a supervisor may). Without a user
    (the monthly run) the same plan and period gives back the report already asked for, rendered or not.
    """
    if by.user is not None and not can(by.user, "view", plan.patient):
        raise PermissionDenied("You cannot see this plan.")
    period_start, period_end = _period(plan, period_start, period_end)
    with transaction.atomic():
        report, created = _report_create(
            by=by, plan=plan, period_start=period_start, period_end=period_end, include_narratives=include_narratives
        )
        if created:
            _enqueue_on_commit([str(report.pk)])
    return report


def _report_create(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    period_start: datetime.date,
    period_end: datetime.date,
    include_narratives: bool = True,
) -> tuple[ProgressReport, bool]:
    """The `pending` row and its audit event (inside the caller's transaction); its render is the caller's to queue.

    Without a user (the monthly run) the same plan and period gives back the report already asked for.
    """
    if by.user is None:
        report, created = ProgressReport.objects.get_or_create(
            plan=plan,
            period_start=period_start,
            period_end=period_end,
            requested_by=None,
            defaults={"include_narratives": include_narratives},
        )
    else:
        report = ProgressReport.objects.create(
            plan=plan,
            period_start=period_start,
            period_end=period_end,
            requested_by=by.user,
            include_narratives=include_narratives,
        )
        created = True
    if created:
        audit_record(
            by,
            Action.CREATE,
            report,
            patient=plan.patient,
            changes={
                "period_start": str(period_start),
                "period_end": str(period_end),
                "include_narratives": report.include_narratives,
            },
        )
    return report, created


def report_retry(*, by: AuditContext, report: ProgressReport) -> ProgressReport:
    """Render a report again that failed, or whose render was lost (a ready report is final)."""
    if by.user is not None and not can(by.user, "view", report.plan.patient):
        raise PermissionDenied("You cannot see this plan.")
    if report.status == ReportStatus.READY:
        raise ValidationError({"status": "This report is ready; ask for a new one instead."})
    with transaction.atomic():
        now = timezone.now()
        ProgressReport.objects.filter(pk=report.pk).exclude(status=ReportStatus.READY).update(
            status=ReportStatus.PENDING, requested_at=now, queued_at=now
        )
        audit_record(by, Action.UPDATE, report, changes={"status": [report.status, ReportStatus.PENDING]})
        _enqueue_on_commit([str(report.pk)])
    report.refresh_from_db()
    return report


def report_render(report_id, *, final_attempt: bool = True, by: AuditContext | None = None) -> ProgressReport | None:
    """Render a pending report to PDF and store it. Returns the ready report, or None if there was nothing to do.

    On failure the row goes back to `pending` with the reason (to be retried) or, on the `final_attempt`,
    to `failed`, and `ReportRenderError` is raised. Runs in the worker: WeasyPrint is loaded here only.
    """
    by = by or AuditContext.system("reviews.render_progress_report")
    return rendering.render(REPORTS, report_id, final_attempt=final_attempt, by=by)


def reports_recover_stalled(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Put renders that stopped without finishing back in the queue, or mark them `failed` after the last try."""
    return rendering.recover_stalled(REPORTS, now=now or timezone.now(), requeue=_enqueue_on_commit)


def _queue_depth() -> int | None:
    """How many messages wait in the render task's queue; None when the broker cannot be reached."""
    return rendering.queue_depth(REPORTS)


def never_picked_up_reason() -> str:
    return rendering.never_picked_up_reason("report")


def reports_requeue_unclaimed(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send again the `pending` reports no worker has claimed, and fail those left unclaimed too long
    (`rendering.requeue_unclaimed`)."""
    return rendering.requeue_unclaimed(
        REPORTS,
        now=now or timezone.now(),
        depth=lambda: _queue_depth(),
        requeue=lambda ids: _enqueue_on_commit(ids),
        batch=REQUEUE_BATCH,
        expired_reason=never_picked_up_reason(),
    )


def previous_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar month before `today`'s."""
    last = today.replace(day=1) - datetime.timedelta(days=1)
    return last.replace(day=1), last


#: Plans the monthly run asks for in one transaction; their renders go to the broker together after its commit,
#: so a run over 100,000 plans holds at most this many rows and messages at a time.
MONTHLY_BATCH = 200


def monthly_reports_request(*, by: AuditContext, today: datetime.date | None = None) -> dict[str, int]:
    """Ask for last month's report of every active plan (the month before each practice's today).

    Idempotent: a plan and month already asked for is counted as `existing`, not asked again. A plan
    that started after that month has nothing to report and is `skipped`. Plans are taken `MONTHLY_BATCH` at a
    time, by id: one query says which of a batch were asked for already, the batch's reports are written in one
    transaction, and once it commits their renders are handed to the broker in one go (which stops at the
    first refusal of a broker that is down, leaving the rest for the recovery sweep).
    """
    counts = {"created": 0, "existing": 0, "skipped": 0}
    practices = {practice.pk: practice for practice in Practice.objects.all()}
    active = (
        TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE)
        .select_related("patient")
        .only("id", "start_date", "patient__id", "patient__practice_id")
        .order_by("pk")
    )
    after = Q()
    while True:
        batch = list(active.filter(after)[:MONTHLY_BATCH])
        if batch:
            _monthly_batch(batch, practices, by=by, today=today, counts=counts)
        if len(batch) < MONTHLY_BATCH:
            break
        after = Q(pk__gt=batch[-1].pk)
    logger.info("Monthly progress reports: %s", counts)
    return counts


def _monthly_batch(
    plans: list[TreatmentPlan],
    practices: dict[uuid.UUID, Practice],
    *,
    by: AuditContext,
    today: datetime.date | None,
    counts: dict[str, int],
) -> None:
    periods: dict[object, tuple[datetime.date, datetime.date]] = {}
    for plan in plans:
        plan.patient.practice = practices[plan.patient.practice_id]  # one Practice object per practice, shared
        periods[plan.pk] = previous_month(today or plan.patient.practice.today())
    asked = set(
        ProgressReport.objects.filter(plan__in=[plan.pk for plan in plans], requested_by__isnull=True).values_list(
            "plan_id", "period_start", "period_end"
        )
    )
    created: list[str] = []
    with transaction.atomic():
        for plan in plans:
            start, end = periods[plan.pk]
            if plan.start_date > end:
                counts["skipped"] += 1
                continue
            if (plan.pk, start, end) in asked:
                counts["existing"] += 1
                continue
            try:
                _period(plan, start, end)
            except ValidationError as error:  # a month not over yet where `today` was given: leave the plan out
                logger.warning("Monthly progress report of plan %s not asked for: %s", plan.pk, error.messages)
                counts["skipped"] += 1
                continue
            report, new = _report_create(by=by, plan=plan, period_start=start, period_end=end)
            if new:
                created.append(str(report.pk))
                counts["created"] += 1
            else:  # another run asked for it since this batch was read
                counts["existing"] += 1
        _enqueue_on_commit(created)
