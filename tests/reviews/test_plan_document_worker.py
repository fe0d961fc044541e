"""A real Celery worker on the real Redis broker renders a treatment-plan document asked for through the service."""

import time
from pathlib import Path

import pytest

from accounts.audit import AuditContext
from reviews.models import PlanDocument, PlanVersion, ReportStatus, SignatureMethod
from reviews.services.documents import document_request
from reviews.services.signatures import content_hash
from tests.factories import GoalFactory
from tests.reviews.test_signing import png_data_url, sign_client, sign_staff
from tests.support import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_renders_a_requested_document_from_the_broker(celery_worker, plan, owner, media_root, pdf_text):
    # Nothing from the data migrations (an earlier transactional test may have flushed them): goals only.
    goal = GoalFactory(plan=plan, description="Sleep through the night most nights")
    GoalFactory(parent_goal=goal, goal_type="short_term", description="Keep a sleep diary every morning")
    sign_staff(owner, plan)
    sign_client(owner, plan, method=SignatureMethod.DRAWN, image=png_data_url(40, 12), signer_name="Emily Carter")
    version = PlanVersion.objects.get(plan=plan, number=1)

    started = time.monotonic()
    # No capture of on_commit: the service's transaction commits, its callback enqueues on Redis.
    document = document_request(by=AuditContext.system("tests", user=owner), version=version)
    assert wait_for(lambda: PlanDocument.objects.get(pk=document.pk).status == ReportStatus.READY), (
        f"the worker did not render the document: {PlanDocument.objects.filter(pk=document.pk).values().first()}"
    )
    elapsed = time.monotonic() - started
    document.refresh_from_db()
    path = Path(document.file.path)
    assert path.is_file() and path.is_relative_to(media_root)
    assert document.attempts == 1
    text = pdf_text(path)
    for expected in (
        str(owner),
        "Clinician",
        "Emily Carter",
        "Client",
        "Drawn on screen",
        content_hash(version.snapshot),
    ):
        assert expected in text, expected
    print(f"document request to ready through Redis and the worker: {elapsed:.1f} s")
