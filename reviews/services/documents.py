"""The treatment-plan document: the PDF of a signed version, asked for once and rendered by the worker.

One row per version and paper size (`document_once_per_version_and_paper`): the first request creates it
`pending` and hands its render to the broker once committed; every later request gets the same row back,
so a version is rendered once however often it is downloaded. A version is only printed once it is fully
signed; a signature it may still receive after that (a supervisor's co-signature the practice does not require)
sends its documents back to the worker (`documents_rerender`), so a cached PDF never leaves one out. The render,
its states and the recovery sweeps are the progress reports' (`reviews.services.rendering`); a failed
document is rendered again when asked for again.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.access import can
from accounts.audit import Action, AuditContext, audit_record
from reviews.models import PlanDocument, PlanVersion, ReportStatus
from reviews.reports import render_pdf
from reviews.reports.document import document_filename, document_html
from reviews.services import rendering
from reviews.services.rendering import RenderKind
from reviews.services.signatures import signature_status_compute, version_roles
from treatment.models import SignatureStatus

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

REQUEUE_BATCH = 500


def _render_task() -> Task:
    from reviews.tasks.documents import render_plan_document

    return render_plan_document


DOCUMENTS = RenderKind(
    model=PlanDocument,
    label="plan document",
    task=_render_task,
    render=lambda document: render_pdf(document_html(document)),
    filename=lambda document: document_filename(document),
    logger=logger,
    select_related=("version__plan__patient__practice", "version__plan__therapist"),
)


def _enqueue(*ids: str) -> int:
    return rendering.enqueue(DOCUMENTS, *ids)


def _enqueue_on_commit(ids: list[str]) -> None:
    rendering.enqueue_on_commit(lambda *pks: _enqueue(*pks), ids)


def version_is_signed(version: PlanVersion) -> bool:
    """Whether `version` was fully signed: the plan in force, or an earlier version whose signatures met the
    plan's signing rules (`signature_status_compute`)."""
    plan = version.plan
    if plan.signed_version is None:
        return False
    if version.number == plan.signed_version:
        return True
    status, _ = signature_status_compute(plan=plan, version_number=version.number, roles=version_roles(version))
    return status == SignatureStatus.SIGNED


def document_request(*, by: AuditContext, version: PlanVersion) -> PlanDocument:
    """The document of a fully signed `version` on its practice's paper: the one already asked for, or a new
    one queued for the worker (and a failed one queued again).

    Reading the plan is enough (a supervisor may print it). A version not fully signed is refused
    (`PlanDocument.DoesNotExist`: there is no such document to have).
    """
    plan = version.plan
    if by.user is not None and not can(by.user, "view", plan.patient):
        raise PermissionDenied("You cannot see this plan.")
    if not version_is_signed(version):
        raise PlanDocument.DoesNotExist("Only a fully signed version has a treatment-plan document.")
    paper_size = plan.patient.practice.document_paper_size
    with transaction.atomic():
        document = PlanDocument.objects.filter(version=version, paper_size=paper_size).first()
        if document is None:
            try:
                with transaction.atomic():
                    document = PlanDocument.objects.create(version=version, paper_size=paper_size, requested_by=by.user)
            except IntegrityError:  # asked for at the same moment by someone else: theirs is ours
                return PlanDocument.objects.get(version=version, paper_size=paper_size)
            audit_record(
                by,
                Action.CREATE,
                document,
                patient=plan.patient,
                changes={"version": version.number, "paper_size": paper_size},
            )
            _enqueue_on_commit([str(document.pk)])
        elif document.status == ReportStatus.FAILED:
            now = timezone.now()
            moved = PlanDocument.objects.filter(pk=document.pk, status=ReportStatus.FAILED).update(
                status=ReportStatus.PENDING, requested_at=now, queued_at=now, error=""
            )
            if moved:
                audit_record(
                    by,
                    Action.UPDATE,
                    document,
                    patient=plan.patient,
                    changes={"status": [ReportStatus.FAILED.value, ReportStatus.PENDING.value]},
                )
                _enqueue_on_commit([str(document.pk)])
            document.refresh_from_db()
    return document


def documents_rerender(*, by: AuditContext, version: PlanVersion) -> int:
    """A signature was added to `version`: its documents already asked for are rendered again to show it (the
    signing service calls this inside its transaction). Returns how many were sent back."""
    return rendering.send_back(
        DOCUMENTS, PlanDocument.objects.filter(version=version), by=by, requeue=_enqueue_on_commit
    )


def document_render(document_id, *, final_attempt: bool = True, by: AuditContext | None = None) -> PlanDocument | None:
    """Render a pending document to PDF and store it (`rendering.render`); None when there was nothing to do."""
    by = by or AuditContext.system("reviews.render_plan_document")
    return rendering.render(DOCUMENTS, document_id, final_attempt=final_attempt, by=by)


def _queue_depth() -> int | None:
    return rendering.queue_depth(DOCUMENTS)


def documents_recover(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The recovery sweep of the documents: stalled renders and unclaimed rows, as for the progress reports."""
    now = now or timezone.now()
    stalled = rendering.recover_stalled(DOCUMENTS, now=now, requeue=_enqueue_on_commit)
    unclaimed = rendering.requeue_unclaimed(
        DOCUMENTS,
        now=now,
        depth=lambda: _queue_depth(),
        requeue=_enqueue_on_commit,
        batch=REQUEUE_BATCH,
        expired_reason=rendering.never_picked_up_reason("document"),
    )
    return {
        "requeued": stalled["requeued"] + unclaimed["requeued"],
        "failed": stalled["failed"] + unclaimed["failed"],
    }
