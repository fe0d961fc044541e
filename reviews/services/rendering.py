"""The one way a PDF is rendered in the worker: a row that is the truth, a broker that carries a hint.

Two kinds of row follow it: progress reports (`reviews.services.reports`) and treatment-plan documents
(`reviews.services.documents`). Each describes itself with a `RenderKind` (its model, its task, how its
row becomes PDF bytes and a file name); the states (`pending` -> `rendering` -> `ready` | `failed`), the
claim, the storage-before-ready order and the recovery sweeps are written here once. The rules are the
progress reports' (read the docstring of `reviews.services.reports`): every move is a conditional UPDATE
on the state it read, so two sweeps or a message delivered twice do nothing twice.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from accounts.audit import Action, AuditContext, audit_record
from reviews.models import ReportStatus

if TYPE_CHECKING:
    from celery import Task

#: What a publish to a broker that is down raises: kombu's wrapper of the transport's connection errors, and
#: the socket errors (a refused or timed-out connection, a filesystem broker's folder that cannot be written).
BROKER_ERRORS: tuple[type[Exception], ...] = (BrokerOperationalError, OSError)
#: What the error column keeps of a failure's message.
MAX_ERROR_LENGTH = 2000
#: A render still `rendering` this long after it was claimed has stopped without finishing: the hard time
#: limit killed it, or its worker died (the broker has already let its message go).
STALL_GRACE = datetime.timedelta(minutes=2)


class ReportRenderError(Exception):
    """A render attempt failed; the row says why (and whether another attempt will follow)."""


@dataclass(frozen=True)
class RenderKind:
    """One kind of worker-rendered PDF row: a model with `status`, `file`, `error`, `attempts`, `started_at`,
    `requested_at`, `queued_at` and `completed_at` (`ProgressReport`'s columns)."""

    model: type[models.Model]
    #: For the logs: "progress report".
    label: str
    #: The Celery task that renders one row by id (looked up late: the tasks import the services).
    task: Callable[[], Task]
    #: The row (loaded with `select_related`) as PDF bytes.
    render: Callable[[Any], bytes]
    #: The stored file's name (never a patient's name).
    filename: Callable[[Any], str]
    logger: logging.Logger
    select_related: tuple[str, ...] = ()


def _rows(kind: RenderKind) -> models.QuerySet:
    return kind.model._default_manager.all()


def enqueue(kind: RenderKind, *ids: str) -> int:
    """Hand these rows' renders to the broker, in order; returns how many it accepted.

    Never raises for a broker that is down: the first refusal stops the batch, the rows not sent are
    marked not queued (`queued_at` empty) for the next recovery sweep to send, and a warning is logged.
    """
    task = kind.task()
    for sent, pk in enumerate(ids):
        try:
            task.delay(pk)
        except BROKER_ERRORS as error:
            unsent = ids[sent:]
            kind.logger.warning(
                "The broker did not take %d %s render(s) (%s: %s); they stay pending and the "
                "recovery sweep sends them when it is back",
                len(unsent),
                kind.label,
                type(error).__name__,
                error,
            )
            try:
                _rows(kind).filter(pk__in=unsent, status=ReportStatus.PENDING).update(queued_at=None)
            except DatabaseError:  # their old `queued_at` stands: the sweep sends them once the queue has drained
                kind.logger.warning("Could not mark %d %s(s) as not queued", len(unsent), kind.label, exc_info=True)
            return sent
    return len(ids)


def enqueue_on_commit(send: Callable[..., int], ids: list[str]) -> None:
    """`send(*ids)` once the transaction commits (a worker must find the rows it is sent)."""
    if ids:
        transaction.on_commit(lambda: send(*ids))


def claim(kind: RenderKind, pk: Any) -> bool:
    """pending -> rendering, for one worker only (a redelivered message finds nothing to claim)."""
    return bool(
        _rows(kind)
        .filter(pk=pk, status=ReportStatus.PENDING)
        .update(status=ReportStatus.RENDERING, attempts=F("attempts") + 1, started_at=timezone.now())
    )


def render(kind: RenderKind, pk: Any, *, final_attempt: bool, by: AuditContext) -> Any | None:
    """Render a pending row to PDF and store it. Returns the ready row, or None if there was nothing to do.

    On failure the row goes back to `pending` with the reason (to be retried) or, on the `final_attempt`,
    to `failed`, and `ReportRenderError` is raised. The file is stored before the row says `ready`.
    """
    if not claim(kind, pk):
        return None  # gone, already rendered, or being rendered by another worker
    row = _rows(kind).select_related(*kind.select_related).get(pk=pk)
    previous = row.file.name  # a row sent back (`send_back`) still names its earlier file
    started = time.monotonic()
    try:
        pdf = kind.render(row)
        row.file.save(kind.filename(row), ContentFile(pdf), save=False)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]
        status = ReportStatus.FAILED if final_attempt else ReportStatus.PENDING
        # Back to `pending`, the task's retry is queued now: the sweep counts its wait from here.
        _rows(kind).filter(pk=pk, status=ReportStatus.RENDERING).update(
            status=status, error=reason, queued_at=timezone.now()
        )
        kind.logger.warning("%s %s: attempt %s failed (%s): %s", kind.label, pk, row.attempts, status, reason)
        raise ReportRenderError(reason) from error

    with transaction.atomic():
        # The file is complete before the row says so: nothing half-written is ever served.
        finished = (
            _rows(kind)
            .filter(pk=pk, status=ReportStatus.RENDERING)
            .update(status=ReportStatus.READY, file=row.file.name, completed_at=timezone.now(), error="")
        )
        if finished:
            audit_record(
                by, Action.UPDATE, row, changes={"status": [ReportStatus.RENDERING.value, ReportStatus.READY.value]}
            )
    if not finished:
        # The row was sent back to the worker while this render ran (an admin's "render again"): the render
        # that claims it next makes its file, and this one goes.
        if row.file.name:  # (always: `file.save` named it)
            row.file.storage.delete(row.file.name)
        return None
    if previous and previous != row.file.name:
        row.file.storage.delete(previous)
    kind.logger.info("%s %s rendered in %.1f s (%d bytes)", kind.label, pk, time.monotonic() - started, len(pdf))
    row.refresh_from_db()
    return row


def send_back(
    kind: RenderKind, rows: models.QuerySet, *, by: AuditContext, requeue: Callable[[list[str]], None]
) -> int:
    """Send `rows`, whose PDF no longer shows all it must, back to the worker: `pending`, queued once committed.

    A ready or failed row is rendered again (its file is served until then only as `pending`, and replaced); a row
    being rendered goes back too, as an admin's "render again" does, so the render under way discards its file
    (`render`). A `pending` row is left: its render has not started and will read what is there now. Each move is
    conditional on the state read and audited; returns how many rows moved.
    """
    now = timezone.now()
    moved: list[str] = []
    for pk, status in rows.exclude(status=ReportStatus.PENDING).values_list("pk", "status"):
        sent = (
            _rows(kind)
            .filter(pk=pk, status=status)
            .update(status=ReportStatus.PENDING, requested_at=now, queued_at=now, error="")
        )
        if sent:
            row = _rows(kind).get(pk=pk)
            audit_record(by, Action.UPDATE, row, changes={"status": [status, ReportStatus.PENDING.value]})
            moved.append(str(pk))
    requeue(moved)
    return len(moved)


def recover_stalled(
    kind: RenderKind, *, now: datetime.datetime, requeue: Callable[[list[str]], None]
) -> dict[str, int]:
    """Put renders that stopped without finishing back in the queue (`requeue`), or `failed` after the last try.

    Each row is moved with a conditional UPDATE (still `rendering`, same claim), so a render that finishes
    meanwhile, or a second recovery run, changes nothing.
    """
    stalled_before = now - datetime.timedelta(seconds=settings.REPORT_RENDER_TIME_LIMIT) - STALL_GRACE
    counts = {"requeued": 0, "failed": 0}
    requeued: list[str] = []
    stalled = _rows(kind).filter(status=ReportStatus.RENDERING, started_at__lt=stalled_before)
    for row in stalled.only("pk", "attempts", "started_at"):
        last_try = row.attempts > settings.REPORT_RENDER_MAX_RETRIES
        status = ReportStatus.FAILED if last_try else ReportStatus.PENDING
        reason = "The render stopped without finishing (its time limit was reached or its worker stopped)."
        moved = (
            _rows(kind)
            .filter(pk=row.pk, status=ReportStatus.RENDERING, started_at=row.started_at)
            .update(status=status, error=reason, queued_at=now)
        )
        if not moved:
            continue
        if last_try:
            counts["failed"] += 1
        else:
            counts["requeued"] += 1
            requeued.append(str(row.pk))
        kind.logger.warning("%s %s stalled in rendering: %s", kind.label, row.pk, status)
    requeue(requeued)
    return counts


def queue_depth(kind: RenderKind) -> int | None:
    """How many messages wait in the render task's queue; None when the broker cannot be reached."""
    app = kind.task().app
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=0)  # one try: the next sweep is the retry
            # Every task goes to the default queue (no task_routes): renders wait behind any other message.
            return connection.default_channel.queue_declare(queue=app.conf.task_default_queue).message_count
    except BROKER_ERRORS as error:
        kind.logger.warning("Recovery sweep: the broker cannot be reached (%s: %s)", type(error).__name__, error)
        return None


def never_picked_up_reason(what: str = "report") -> str:
    hours = settings.REPORT_PENDING_MAX_AGE / datetime.timedelta(hours=1)
    return (
        f"Never picked up by a worker within {hours:g} hours of the request (the broker or the workers were "
        f"down); ask for the {what} again."
    )


def requeue_unclaimed(
    kind: RenderKind,
    *,
    now: datetime.datetime,
    depth: Callable[[], int | None],
    requeue: Callable[[list[str]], None],
    batch: int,
    expired_reason: str,
) -> dict[str, int]:
    """Send again the `pending` rows no worker has claimed, and fail those left unclaimed too long.

    Sent again: the ones the broker never accepted (`queued_at` empty), and, when the broker's queue is
    empty (`depth()`), the ones it accepted `REPORT_UNCLAIMED_AFTER` ago or more (their message is lost).
    Failed: the ones asked for `REPORT_PENDING_MAX_AGE` ago or more. With the broker down nothing is sent.
    Each row is moved with a conditional UPDATE on the `queued_at` it was read with.
    """
    counts = {"requeued": 0, "failed": 0}
    expired = _rows(kind).filter(status=ReportStatus.PENDING, requested_at__lt=now - settings.REPORT_PENDING_MAX_AGE)
    counts["failed"] = expired.update(status=ReportStatus.FAILED, error=expired_reason)
    if counts["failed"]:
        kind.logger.warning(
            "Recovery sweep: %d %s(s) never picked up by a worker: failed", counts["failed"], kind.label
        )

    waiting = depth()
    if waiting is None:
        return counts
    unclaimed = Q(queued_at__isnull=True)
    if waiting == 0:
        unclaimed |= Q(queued_at__lt=now - settings.REPORT_UNCLAIMED_AFTER)
    candidates: Iterable[tuple[Any, Any]] = (
        _rows(kind)
        .filter(unclaimed, status=ReportStatus.PENDING)
        .order_by("requested_at")
        .values_list("pk", "queued_at")[:batch]
    )
    requeued: list[str] = []
    for pk, queued_at in candidates:
        moved = _rows(kind).filter(pk=pk, status=ReportStatus.PENDING, queued_at=queued_at).update(queued_at=now)
        if moved:
            requeued.append(str(pk))
    if requeued:
        kind.logger.warning("Recovery sweep: %d unclaimed %s(s) sent to the broker again", len(requeued), kind.label)
    requeue(requeued)
    counts["requeued"] = len(requeued)
    return counts
