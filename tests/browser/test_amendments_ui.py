"""Amending a signed plan in the browser (issue 13): the reason is given once above the goal tree, reused by the
plan builder (shown as "Amending: ..."), and the version diff shows it beside the change; every page on the way is
axe clean."""

import pytest

from accounts.audit import AuditContext
from reviews.services.reviews import review_record
from tests.browser.axe import assert_accessible
from tests.factories import mark_signed
from treatment.models import PlanAmendment, TreatmentPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_plan(owner, tree):
    plan = tree["objective"].plan
    today = plan.patient.practice.today()
    review_record(by=AuditContext.system("tests", user=owner), plan=plan, review_date=today, summary="Sealed.")
    plan.refresh_from_db()
    return mark_signed(plan)


def test_the_reason_is_given_once_and_shown_in_the_diff(page, sign_in, owner, signed_plan):
    plan = signed_plan
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    # Folded on the plan page (reading asks for nothing): opening it asks for the reason.
    page.get_by_text("This plan is signed: changing it needs a reason").first.click()
    reason = page.get_by_label("This plan is signed: say why you are changing it")
    assert_accessible(page)
    reason.fill("Client asked to add sleep")
    page.get_by_role("button", name="Use this reason").click()
    assert page.locator(".amending-current q").first.inner_text() == "Client asked to add sleep"

    page.goto(f"/plans/{plan.pk}/edit/")
    assert page.get_by_label("Why are you changing the signed plan?").count() == 0
    assert page.locator(".amending-current q").inner_text() == "Client asked to add sleep"
    assert_accessible(page)
    page.get_by_label("Title").fill("Anxiety and Sleep Plan")
    page.get_by_role("button", name="Save plan").last.click()
    page.wait_for_url(f"**/plans/{plan.pk}/")
    assert PlanAmendment.objects.get().reason == "Client asked to add sleep"
    assert TreatmentPlan.objects.get(pk=plan.pk).signature_status == "amended_unsigned"

    page.goto(f"/plans/{plan.pk}/versions/compare/?a=1&b=current")
    row = page.locator("tr", has_text="Anxiety and Sleep Plan").first
    assert "Client asked to add sleep" in row.inner_text()
    assert_accessible(page)

    page.goto(f"/plans/{plan.pk}/versions/")
    assert "Client asked to add sleep" in page.locator(".amendment-table").inner_text()
    assert_accessible(page)


def test_the_reason_step_and_a_refused_form_are_accessible(page, sign_in, owner, signed_plan):
    sign_in(owner)
    page.goto(f"/plans/{signed_plan.pk}/amending/")
    assert_accessible(page)
    page.get_by_role("button", name="Use this reason").click()
    assert page.locator(".field-error").count() == 1
    assert_accessible(page)
    page.goto(f"/plans/{signed_plan.pk}/edit/")
    page.get_by_label("Title").fill("Renamed")
    page.get_by_role("button", name="Save plan").last.click()
    assert page.locator("#id_amendment_reason_error").count() == 1
    assert page.get_by_label("Title").input_value() == "Renamed"
    assert_accessible(page)
