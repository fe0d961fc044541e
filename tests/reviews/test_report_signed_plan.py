"""The progress report's "Plan as signed" (issue 13): the plan in force from its signed version's snapshot, its
signers in the practice's time, its SHA-256, and the amendments since; "Not yet signed" for a plan never signed.
Read in the report's HTML and in the PDF's text (pdftotext).
"""

from __future__ import annotations

import re

import pytest

from accounts.audit import AuditContext
from reviews.models import PlanVersion, ProgressReport
from reviews.reports import report_context, report_html
from reviews.services.reports import report_render, report_request
from reviews.services.signatures import content_hash
from tests.factories import GoalFactory
from tests.reviews.test_signing import sign_client, sign_staff
from treatment import services
from treatment.models import SignatureStatus, TreatmentPlan

pytestmark = pytest.mark.django_db

DECLINED = "Wants to read the plan at home first"
AMENDED = "Client asked to add evening practice after the review"


def _report(owner, plan) -> ProgressReport:
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
    return ProgressReport.objects.get(pk=report.pk)


def _section(html: str) -> str:
    match = re.search(r'<section class="plan-as-signed".*?</section>\s*(?=<section class="signatures")', html, re.S)
    assert match, "the report has its Plan as signed section"
    return match.group(0)


@pytest.fixture
def signed(owner, plan, tree):
    """The tree's plan signed by the clinician, the client declining with a reason: version 1 in force."""
    sign_staff(owner, plan)
    sign_client(owner, plan, method="declined", reason=DECLINED)
    plan = TreatmentPlan.objects.get(pk=plan.pk)
    assert (plan.signature_status, plan.signed_version) == (SignatureStatus.SIGNED, 1)
    return plan


@pytest.fixture
def amended(owner, signed, tree):
    """The signed plan with its objective reworded since, with a reason: version 1 stays in force."""
    services.goal_update(
        by=AuditContext(user=owner),
        goal=tree["objective"],
        description="Practice deep breathing morning and evening",
        amendment_reason=AMENDED,
    )
    plan = TreatmentPlan.objects.get(pk=signed.pk)
    assert (plan.signature_status, plan.signed_version) == (SignatureStatus.AMENDED_UNSIGNED, 1)
    return plan


def test_a_signed_plan_shows_its_version_signers_and_hash_from_the_snapshot(owner, signed, tree, media_root, pdf_text):
    version = PlanVersion.objects.get(plan=signed, number=1)
    objective = version.snapshot["goals"][2]["description"]
    # The live plan may say anything: the section reads the snapshot that was signed.
    TreatmentPlan.objects.filter(pk=signed.pk).update(title="A live title nobody signed")
    report = _report(owner, signed)
    html = report_html(report)
    assert "{#" not in html and "With:" not in html, "the partials' comments stay out of the report"
    section = _section(html)

    assert "Plan as signed" in section
    assert '<th scope="row">Version</th><td>1</td>' in section
    assert f"SHA-256 {content_hash(version.snapshot)}" in section
    assert version.snapshot["plan"]["title"] in section and "A live title nobody signed" not in section
    assert objective in section and "Deep Breathing" in section
    assert owner.get_full_name() in section and "Password re-entered" in section
    assert "Emily Carter" in section and "Declined to sign" in section and DECLINED in section
    assert "Amended since it was signed" not in section and "Not yet signed" not in section

    text = pdf_text(report_render(report.pk).file.path)
    assert "Plan as signed" in text
    assert content_hash(version.snapshot)[:32] in text.replace(" ", "")
    assert f"Reason {DECLINED}" in text
    assert re.search(r"Fully signed \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} E[SD]T", text), "the practice's time"
    assert re.search(r"Method Declined to sign Signed \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} E[SD]T", text)


def test_an_amended_plan_says_so_with_its_amendments_and_keeps_the_signed_goals(
    owner, amended, tree, media_root, pdf_text
):
    # A name that fits its table cell on one line: a long random one wraps, and pdftotext interleaves the cells.
    owner.full_name = "Ana Ruiz"
    owner.save(update_fields=["full_name"])
    report = _report(owner, amended)
    context = report_context(report)
    assert [a.reason for a in context["signed"].amendments] == [AMENDED]
    section = _section(report_html(report))

    assert "Amended since it was signed." in section
    assert AMENDED in section and owner.get_full_name() in section
    assert "Practice deep breathing morning and evening" not in section, "the goal as signed, not as amended"

    text = pdf_text(report_render(report.pk).file.path)
    assert "Amended since it was signed." in text
    assert f"{owner.get_full_name()} {AMENDED}" in text
    assert "version 1 stays in force" in text


def test_an_unsigned_plan_says_not_yet_signed(owner, plan, tree, media_root, pdf_text):
    report = _report(owner, plan)
    assert report_context(report)["signed"] is None
    section = _section(report_html(report))
    assert "Not yet signed" in section and "SHA-256" not in section

    text = pdf_text(report_render(report.pk).file.path)
    assert "Plan as signed Not yet signed: no version of this plan has been fully signed." in text


@pytest.mark.parametrize(("state", "extra"), [("unsigned", 0), ("signed", 2), ("amended", 3)])
def test_the_section_costs_the_same_queries_however_many_goals(
    request, owner, plan, tree, state, extra, django_assert_num_queries
):
    """Eight queries for the figures (tests/reviews/test_report_render.py), then none, two (the version, its
    signatures) or three (its amendments) for the section, whatever the number of goals signed or amended."""
    plan = request.getfixturevalue(state) if state != "unsigned" else plan
    report = _report(owner, plan)
    with django_assert_num_queries(8 + extra):
        report_context(report)
    reason = {"amendment_reason": "More goals"} if state != "unsigned" else {}
    for n in range(12):
        GoalFactory(plan=plan, description=f"Goal {n}", **reason)
    if state != "unsigned":
        sign_staff(owner, plan)
        sign_client(owner, plan, method="declined", reason=DECLINED)
    if state == "amended":
        goal = plan.goals.order_by("created_at").last()
        for n in range(3):
            services.goal_update(
                by=AuditContext(user=owner), goal=goal, description=f"Reworded {n}", amendment_reason=f"Reason {n}"
            )
    plan = TreatmentPlan.objects.get(pk=plan.pk)
    report = _report(owner, plan)
    with django_assert_num_queries(8 + extra):
        context = report_context(report)
    if state != "unsigned":
        assert len(context["signed"].goals) == 15
    if state == "amended":
        assert len(context["signed"].amendments) == 3
