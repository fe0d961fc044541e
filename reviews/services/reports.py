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
import time
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from kombu.exceptions import OperationalError as BrokerOperationalError

from accounts.access import can
from accounts.audit import Action, AuditContext, audit_record
from accounts.models import Practice
from accounts.validators import check_clinical_dates
from reviews.models import ProgressReport, ReportStatus
from reviews.reports import render_pdf, report_filename, report_html
from treatment.models import PlanStatus, TreatmentPlan

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

#: A report without dates covers this many days, ending today (the practice's today).
DEFAULT_PERIOD_DAYS = 30
#: The longest period one report covers (five years): longer ones would make unwieldy documents.
MAX_PERIOD_DAYS = 5 * 366
#: What the error column keeps of a failure's message.
MAX_ERROR_LENGTH = 2000


class ReportRenderError(Exception):
    """A render attempt failed; the row says why (and whether another attempt will follow)."""


#: What a publish to a broker that is down raises: kombu's wrapper of the transport's connection errors, and
#: the socket errors (a refused or timed-out connection, a filesystem broker's folder that cannot be written).
BROKER_ERRORS: tuple[type[Exception], ...] = (BrokerOperationalError, OSError)
#: The most rows one recovery sweep sends again; the next sweep takes the rest.
REQUEUE_BATCH = 500


def _render_task() -> Task:
    from reviews.tasks.reports import render_progress_report

    return render_progress_report


def _enqueue(*report_ids: str) -> int:
    """Hand these reports' renders to the broker, in order; returns how many it accepted.

    Never raises for a broker that is down: the first refusal stops the batch, the rows not sent are
    marked not queued (`queued_at` empty) for the next recovery sweep to send, and a warning is logged.
    """
    task = _render_task()
    for sent, report_id in enumerate(report_ids):
        try:
            task.delay(report_id)
        except BROKER_ERRORS as error:
            unsent = report_ids[sent:]
            logger.warning(
                "The broker did not take %d progress report render(s) (%s: %s); they stay pending and the "
                "recovery sweep sends them when it is back",
                len(unsent),
                type(error).__name__,
                error,
            )
            try:
                ProgressReport.objects.filter(pk__in=unsent, status=ReportStatus.PENDING).update(queued_at=None)
            except DatabaseError:  # their old `queued_at` stands: the sweep sends them once the queue has drained
                logger.warning("Could not mark %d progress report(s) as not queued", len(unsent), exc_info=True)
            return sent
    return len(report_ids)


def _enqueue_on_commit(report_ids: list[str]) -> None:
    if report_ids:
        transaction.on_commit(lambda: _enqueue(*report_ids))


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


def _claim(report_id) -> bool:
    """pending -> rendering, for one worker only (a redelivered message finds nothing to claim)."""
    return bool(
        ProgressReport.objects.filter(pk=report_id, status=ReportStatus.PENDING).update(
            status=ReportStatus.RENDERING, attempts=F("attempts") + 1, started_at=timezone.now()
        )
    )


def report_render(report_id, *, final_attempt: bool = True, by: AuditContext | None = None) -> ProgressReport | None:
    """Render a pending report to PDF and store it. Returns the ready report, or None if there was nothing to do.

    On failure the row goes back to `pending` with the reason (to be retried) or, on the `final_attempt`,
    to `failed`, and `ReportRenderError` is raised. Runs in the worker: WeasyPrint is loaded here only.
    """
    by = by or AuditContext.system("reviews.render_progress_report")
    if not _claim(report_id):
        return None  # gone, already rendered, or being rendered by another worker
    report = ProgressReport.objects.select_related("plan").get(pk=report_id)
    started = time.monotonic()
    try:
        pdf = render_pdf(report_html(report))
        report.file.save(report_filename(report), ContentFile(pdf), save=False)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
        status = ReportStatus.FAILED if final_attempt else ReportStatus.PENDING
        # Back to `pending`, the task's retry is queued now: the sweep counts its wait from here.
        ProgressReport.objects.filter(pk=report_id, status=ReportStatus.RENDERING).update(
            status=status, error=reason, queued_at=timezone.now()
        )
        logger.warning("Progress report %s: attempt %s failed (%s): %s", report_id, report.attempts, status, reason)
        raise ReportRenderError(reason) from error

    with transaction.atomic():
        # The file is complete before the row says so: nothing half-written is ever served.
        finished = ProgressReport.objects.filter(pk=report_id, status=ReportStatus.RENDERING).update(
            status=ReportStatus.READY, file=report.file.name, completed_at=timezone.now(), error=""
        )
        if finished:
            audit_record(
                by, Action.UPDATE, report, changes={"status": [ReportStatus.RENDERING.value, ReportStatus.READY.value]}
            )
    if not finished:
        # The row was sent back to the worker while this render ran (an admin's "render again"): the render
        # that claims it next makes its file, and this one goes.
        if report.file.name:  # (always: `file.save` named it)
            report.file.storage.delete(report.file.name)
        return None
    logger.info("Progress report %s rendered in %.1f s (%d bytes)", report_id, time.monotonic() - started, len(pdf))
    report.refresh_from_db()
    return report


#: A render still `rendering` this long after it was claimed has stopped without finishing: the hard time
#: limit killed it, or its worker died (the broker has already let its message go).
STALL_GRACE = datetime.timedelta(minutes=2)


def reports_recover_stalled(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Put renders that stopped without finishing back in the queue, or mark them `failed` after the last try.

    Each row is moved with a conditional UPDATE (still `rendering`, same claim), so a render that finishes
    meanwhile, or a second recovery run, changes nothing.
    """
    now = now or timezone.now()
    stalled_before = now - datetime.timedelta(seconds=settings.REPORT_RENDER_TIME_LIMIT) - STALL_GRACE
    counts = {"requeued": 0, "failed": 0}
    requeued: list[str] = []
    stalled = ProgressReport.objects.filter(status=ReportStatus.RENDERING, started_at__lt=stalled_before)
    for report in stalled.only("pk", "attempts", "started_at"):
        last_try = report.attempts > settings.REPORT_RENDER_MAX_RETRIES
        status = ReportStatus.FAILED if last_try else ReportStatus.PENDING
        reason = "The render stopped without finishing (its time limit was reached or its worker stopped)."
        moved = ProgressReport.objects.filter(
            pk=report.pk, status=ReportStatus.RENDERING, started_at=report.started_at
        ).update(status=status, error=reason, queued_at=now)
        if not moved:
            continue
        if last_try:
            counts["failed"] += 1
        else:
            counts["requeued"] += 1
            requeued.append(str(report.pk))
        logger.warning("Progress report %s stalled in rendering: %s", report.pk, status)
    _enqueue_on_commit(requeued)
    return counts


def _queue_depth() -> int | None:
    """How many messages wait in the render task's queue; None when the broker cannot be reached."""
    app = _render_task().app
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0)  # one try: the next sweep is the retry
            # Every task goes to the default queue (no task_routes): renders wait behind any other message.
            return connection.default_channel.queue_declare(queue=app.conf.task_default_queue).message_count
    except BROKER_ERRORS as error:
        logger.warning("Recovery sweep: the broker cannot be reached (%s: %s)", type(error).__name__, error)
        return None


def never_picked_up_reason() -> str:
    hours = settings.REPORT_PENDING_MAX_AGE / datetime.timedelta(hours=1)
    return (
        f"Never picked up by a worker within {hours:g} hours of the request (the broker or the workers were "
        "down); ask for the report again."
    )


def reports_requeue_unclaimed(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Send again the `pending` reports no worker has claimed, and fail those left unclaimed too long.

    Sent again: the ones the broker never accepted (`queued_at` empty), and, when the broker's queue is
    empty, the ones it accepted `REPORT_UNCLAIMED_AFTER` ago or more (their message is lost). Failed: the
    ones asked for `REPORT_PENDING_MAX_AGE` ago or more. With the broker down nothing is sent (the next
    sweep tries). Each row is moved with a conditional UPDATE on the `queued_at` it was read with, so a
    second sweep at the same time sends nothing twice.
    """
    now = now or timezone.now()
    counts = {"requeued": 0, "failed": 0}
    expired = ProgressReport.objects.filter(
        status=ReportStatus.PENDING, requested_at__lt=now - settings.REPORT_PENDING_MAX_AGE
    )
    counts["failed"] = expired.update(status=ReportStatus.FAILED, error=never_picked_up_reason())
    if counts["failed"]:
        logger.warning("Recovery sweep: %d progress report(s) never picked up by a worker: failed", counts["failed"])

    depth = _queue_depth()
    if depth is None:
        return counts
    unclaimed = Q(queued_at__isnull=True)
    if depth == 0:
        unclaimed |= Q(queued_at__lt=now - settings.REPORT_UNCLAIMED_AFTER)
    candidates = (
        ProgressReport.objects.filter(unclaimed, status=ReportStatus.PENDING)
        .order_by("requested_at")
        .values_list("pk", "queued_at")[:REQUEUE_BATCH]
    )
    requeued: list[str] = []
    for pk, queued_at in candidates:
        moved = ProgressReport.objects.filter(pk=pk, status=ReportStatus.PENDING, queued_at=queued_at).update(
            queued_at=now
        )
        if moved:
            requeued.append(str(pk))
    if requeued:
        logger.warning("Recovery sweep: %d unclaimed progress report(s) sent to the broker again", len(requeued))
    _enqueue_on_commit(requeued)
    counts["requeued"] = len(requeued)
    return counts


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
