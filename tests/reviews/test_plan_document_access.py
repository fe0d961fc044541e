"""The treatment-plan document's page and API for the five roles of the cast: the care team, the supervisor and
the practice admin read it (a PDF once rendered, 202 while it renders, the first request queuing it); a colleague
off the care team and another practice's admin get 404; a version not fully signed is 404 for everyone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanDocument, PlanVersion, ReportStatus
from reviews.services.documents import document_render, document_request
from tests.reviews.test_signing import sign_client, sign_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
SEES = {"owner": True, "colleague": False, "supervisor": True, "practice_admin": True, "outsider_admin": False}


@pytest.fixture
def version(owner, plan, tree):
    sign_staff(owner, plan)
    sign_client(owner, plan)
    return PlanVersion.objects.get(plan=plan, number=1)


@pytest.fixture
def rendered(version, owner):
    return document_render(document_request(by=AuditContext.system("tests", user=owner), version=version).pk)


def api_path(plan, number, slash=""):
    return f"/api/v1/treatment-plans/{plan.pk}/versions/{number}/document{slash}"


def _exports():
    return AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_type="reviews.plandocument")


@pytest.mark.parametrize("slash", ["", "/"])
@pytest.mark.parametrize("role", ROLES)
def test_api_ready_document(role, slash, cast, api, plan, rendered):
    response = api.as_(cast[role]).get(api_path(plan, 1, slash))
    if SEES[role]:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert _exports().get().user == cast[role]
    else:
        assert response.status_code == 404
        assert not _exports().exists()


@pytest.mark.parametrize("role", ROLES)
def test_api_first_request_queues_the_render(role, cast, api, plan, version, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = api.as_(cast[role]).get(api_path(plan, 1), HTTP_ACCEPT="application/pdf")
    if SEES[role]:
        assert response.status_code == 202
        assert response.json() == {
            "status": "pending",
            "detail": "The document is queued for rendering; ask again in a few seconds.",
            "version": 1,
        }
        document = PlanDocument.objects.get()
        assert (document.version, document.requested_by, len(queued)) == (version, cast[role], 1)
        # Asking again while it renders queues nothing more.
        with django_capture_on_commit_callbacks() as again:
            assert api.as_(cast[role]).get(api_path(plan, 1)).status_code == 202
        assert again == [] and PlanDocument.objects.count() == 1
    else:
        assert response.status_code == 404
        assert not PlanDocument.objects.exists() and queued == []


def test_api_a_version_not_fully_signed_or_missing_is_404(api, owner, plan, tree):
    sign_staff(owner, plan)  # the client has not signed
    assert api.as_(owner).get(api_path(plan, 1)).status_code == 404
    assert api.as_(owner).get(api_path(plan, 7)).status_code == 404
    assert not PlanDocument.objects.exists()


def test_api_the_worker_renders_what_the_request_queued(
    api, owner, plan, version, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert api.as_(owner).get(api_path(plan, 1)).status_code == 202
    assert PlanDocument.objects.get().status == ReportStatus.READY
    assert api.as_(owner).get(api_path(plan, 1)).status_code == 200


def test_api_unauthenticated_is_401(plan, version):
    assert Client().get(api_path(plan, 1)).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_page_ready_document(role, cast, plan, rendered):
    client = Client()
    client.force_login(cast[role])
    response = client.get(reverse("plan-version-document", args=[plan.pk, 1]))
    if SEES[role]:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith('attachment; filename="treatment-plan-v1-letter-')
        assert _exports().get().user == cast[role]
    else:
        assert response.status_code == 404


def test_page_while_rendering_says_so_and_asks_again(owner, plan, version):
    client = Client()
    client.force_login(owner)
    response = client.get(reverse("plan-version-document", args=[plan.pk, 1]))

    assert response.status_code == 202
    body = response.content.decode()
    url = reverse("plan-version-document", args=[plan.pk, 1])
    assert f'hx-get="{url}" hx-trigger="every 3s"' in body
    assert "being prepared" in body
    document = PlanDocument.objects.get()
    assert document.status == ReportStatus.PENDING

    # The poll gets the status alone; once rendered, the link to the PDF (not the PDF itself).
    document_render(document.pk)
    polled = client.get(url, HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and polled["Content-Type"].startswith("text/html")
    assert "hx-trigger" not in polled.content.decode() and "Download the PDF" in polled.content.decode()


def test_page_a_version_not_fully_signed_is_404(owner, plan, tree):
    sign_staff(owner, plan)
    client = Client()
    client.force_login(owner)
    assert client.get(reverse("plan-version-document", args=[plan.pk, 1])).status_code == 404
