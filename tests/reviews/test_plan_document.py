"""The treatment-plan document: the PDF of a fully signed version, read back with pdftotext.

Rendered in-process here (`document_render`, the worker's service); tests/reviews/test_plan_document_worker.py
renders one through a real worker on Redis.
"""

from __future__ import annotations

import subprocess
import tempfile

import pytest
from django.core.exceptions import PermissionDenied

from accounts.audit import AuditContext
from accounts.models import PaperSize
from reviews.models import PlanDocument, PlanVersion, ReportStatus, SignatureMethod, SignatureRole
from reviews.services.documents import document_render, document_request, documents_recover, version_is_signed
from reviews.services.signatures import content_hash
from tests.reviews.test_signing import png_data_url, sign_client, sign_staff

pytestmark = pytest.mark.django_db


def page_texts(pdf_path) -> list[str]:
    """Each page's text, whitespace collapsed (pdftotext page by page)."""
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, check=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    texts = []
    for number in range(1, pages + 1):
        out = subprocess.run(
            ["pdftotext", "-layout", "-f", str(number), "-l", str(number), str(pdf_path), "-"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        texts.append(" ".join(out.split()))
    return texts


def paper_of(pdf_path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, check=True, text=True).stdout
    return next(line for line in info.splitlines() if line.startswith("Page size:")).split(":", 1)[1].strip()


@pytest.fixture
def signed(owner, supervisor, plan, tree):
    """The tree's plan signed by the clinician, drawn by the client, co-signed by the supervisor."""
    owner.needs_supervision = True
    owner.license_number = "LCSW-12345"
    owner.save(update_fields=["needs_supervision", "license_number"])
    practice = plan.patient.practice
    practice.address = "12 Elm Street\nSpringfield, IL 62701"
    practice.save(update_fields=["address"])
    sign_staff(owner, plan)
    sign_client(owner, plan, method=SignatureMethod.DRAWN, image=png_data_url(60, 20), signer_name="Emily Carter")
    signature = sign_staff(supervisor, plan, role=SignatureRole.SUPERVISOR)
    version = PlanVersion.objects.select_related("plan__patient__practice", "plan__therapist").get(
        pk=signature.version_id
    )
    return version


def long_plan(plan, tree, count=14):
    """Enough goals with SMART answers to run the document over several pages."""
    from tests.factories import GoalFactory

    for n in range(count):
        GoalFactory(
            plan=plan,
            description=f"Long-term goal {n}: be able to take part in ordinary daily life again",
            measurable_criteria="Fewer than two panic episodes a week, by the client's diary, for four weeks",
            baseline_value="6 a week",
            target_value="fewer than 2 a week",
        )


def test_the_document_shows_the_practice_the_client_the_plan_and_the_filled_signatures(
    signed, owner, supervisor, media_root, pdf_text
):
    version = signed
    document = document_request(by=AuditContext.system("tests", user=owner), version=version)
    assert document.status == ReportStatus.PENDING
    document = document_render(document.pk)
    assert document.status == ReportStatus.READY

    text = pdf_text(document.file.path)
    patient = version.plan.patient
    for expected in (
        version.plan.patient.practice.name,
        "12 Elm Street",
        "Springfield, IL 62701",
        patient.full_name,
        patient.date_of_birth.strftime("%-d %b %Y"),
        "LCSW-12345",
        "F41.1",
        "chronic worry",
        "Deep Breathing",
        f"Treatment plan version {version.number}",
        content_hash(version.snapshot),
        # The signature blocks: name, role, method.
        str(owner),
        "Clinician",
        "Password re-entered",
        "Emily Carter",
        "Client",
        "Drawn on screen",
        str(supervisor),
        "Supervisor",
    ):
        assert expected in text, expected
    for goal in version.snapshot["goals"]:
        assert goal["description"] in text


def test_the_version_and_its_hash_are_on_every_page(owner, plan, tree, media_root):
    long_plan(plan, tree)
    sign_staff(owner, plan)
    sign_client(owner, plan)
    version = PlanVersion.objects.get(plan=plan, number=1)
    document = document_render(document_request(by=AuditContext.system("tests", user=owner), version=version).pk)

    pages = page_texts(document.file.path)
    digest = content_hash(version.snapshot)
    assert len(pages) >= 3
    for page in pages:
        assert f"Treatment plan version 1 · SHA-256 {digest}" in page


def test_a_declined_client_signature_shows_its_reason(owner, plan, tree, media_root, pdf_text):
    sign_staff(owner, plan)
    sign_client(owner, plan, method=SignatureMethod.DECLINED, reason="Wants to read it at home with her partner first")
    version = PlanVersion.objects.get(plan=plan, number=1)
    document = document_render(document_request(by=AuditContext.system("tests", user=owner), version=version).pk)

    text = pdf_text(document.file.path)
    assert "Declined to sign" in text
    assert "Wants to read it at home with her partner first" in text


@pytest.mark.parametrize(
    ("paper", "size"), [(PaperSize.LETTER, "612 x 792 pts (letter)"), (PaperSize.A4, "595.276 x 841.89 pts (A4)")]
)
def test_the_paper_size_is_the_practice_setting(signed, owner, media_root, paper, size):
    practice = signed.plan.patient.practice
    practice.document_paper_size = paper
    practice.save(update_fields=["document_paper_size"])
    document = document_render(document_request(by=AuditContext.system("tests", user=owner), version=signed).pk)

    assert document.paper_size == paper
    assert paper_of(document.file.path) == size


def test_one_document_per_version_and_paper_rendered_once(signed, owner, supervisor, media_root):
    by = AuditContext.system("tests", user=owner)
    first = document_request(by=by, version=signed)
    document_render(first.pk)
    again = document_request(by=AuditContext.system("tests", user=supervisor), version=signed)

    assert again.pk == first.pk and again.status == ReportStatus.READY
    assert PlanDocument.objects.filter(version=signed).count() == 1
    assert document_render(first.pk) is None  # nothing left to render


def test_a_version_not_fully_signed_has_no_document(owner, plan, tree):
    sign_staff(owner, plan)  # the client has not signed yet
    version = PlanVersion.objects.get(plan=plan, number=1)

    assert version_is_signed(version) is False
    with pytest.raises(PlanDocument.DoesNotExist):
        document_request(by=AuditContext.system("tests", user=owner), version=version)
    assert not PlanDocument.objects.exists()


def test_someone_who_cannot_see_the_plan_is_refused(signed, colleague):
    with pytest.raises(PermissionDenied):
        document_request(by=AuditContext.system("tests", user=colleague), version=signed)


def test_a_failed_document_is_rendered_again_when_asked_again(signed, owner, media_root, monkeypatch):
    from reviews.services import rendering

    by = AuditContext.system("tests", user=owner)
    document = document_request(by=by, version=signed)
    monkeypatch.setattr("reviews.services.documents.render_pdf", lambda html: 1 / 0)
    with pytest.raises(rendering.ReportRenderError):
        document_render(document.pk, final_attempt=True)
    assert PlanDocument.objects.get(pk=document.pk).status == ReportStatus.FAILED

    monkeypatch.undo()
    again = document_request(by=by, version=signed)
    assert again.pk == document.pk and again.status == ReportStatus.PENDING
    assert document_render(document.pk).status == ReportStatus.READY


def test_the_recovery_sweep_fails_a_document_never_picked_up(signed, owner, settings):
    import datetime

    from django.utils import timezone

    document = document_request(by=AuditContext.system("tests", user=owner), version=signed)
    later = timezone.now() + settings.REPORT_PENDING_MAX_AGE + datetime.timedelta(minutes=1)
    counts = documents_recover(now=later)

    assert counts["failed"] == 1
    assert PlanDocument.objects.get(pk=document.pk).status == ReportStatus.FAILED


def test_the_pdf_reads_as_a_pdf(signed, owner, media_root):
    document = document_render(document_request(by=AuditContext.system("tests", user=owner), version=signed).pk)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(document.file.open("rb").read())
        handle.flush()
        assert page_texts(handle.name)


def test_a_cosignature_after_the_document_sends_it_back_to_the_worker_and_it_shows_then(
    owner, supervisor, plan, tree, media_root, pdf_text, django_capture_on_commit_callbacks, monkeypatch
):
    """Signed without supervision (the co-signature is not required), printed, then co-signed all the same: the
    document goes back to `pending` and is queued, and its next render names the supervisor (the old file goes)."""
    from accounts.models import AuditEvent

    sign_staff(owner, plan)
    signature = sign_client(owner, plan, signer_name="Emily Carter")
    version = PlanVersion.objects.get(pk=signature.version_id)
    assert version_is_signed(version) is True
    document = document_render(document_request(by=AuditContext.system("tests", user=owner), version=version).pk)
    old_file = document.file.name
    assert supervisor.full_name not in pdf_text(document.file.path)

    queued: list[tuple[str, ...]] = []
    monkeypatch.setattr("reviews.services.documents._enqueue", lambda *ids: queued.append(ids) or len(ids))
    with django_capture_on_commit_callbacks(execute=True):
        cosignature = sign_staff(supervisor, plan, role=SignatureRole.SUPERVISOR)

    assert cosignature.version_id == version.pk
    document.refresh_from_db()
    assert (document.status, queued) == (ReportStatus.PENDING, [(str(document.pk),)])
    assert AuditEvent.objects.filter(object_id=str(document.pk), action="update").count() == 2  # rendered, sent back
    rendered = document_render(document.pk)
    assert rendered.status == ReportStatus.READY and rendered.file.name != old_file
    assert supervisor.full_name in pdf_text(rendered.file.path)
    assert not rendered.file.storage.exists(old_file)
