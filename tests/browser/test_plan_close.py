"""Closing a plan in a real browser: choosing Completed leads to the confirmation step, which says what closing
means and asks for a reason; without one nothing closes and the error links to the field; with one the plan is
closed and the plan page shows why. On hold stays one click. axe finds no WCAG A/AA violation on the step.
"""

import re

import pytest
from playwright.sync_api import expect

from reviews.models import PlanVersion
from tests.browser.axe import assert_accessible
from treatment.models import TreatmentPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Goals met: worry down to 2/10, sleeping 7 hours; agreed to end."


def change_status(page, label):
    page.get_by_label("Change status to").select_option(label=label)
    page.get_by_role("button", name="Change status").click()


def test_closing_a_plan_asks_for_a_reason_and_a_confirmation(page, sign_in, screenshot, owner, plan, tree):
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")

    # On hold and back: one click each, no questions.
    change_status(page, "On hold")
    expect(page.locator(".patient-banner .badge-on_hold")).to_have_text("On hold")
    change_status(page, "Active")
    expect(page.locator(".patient-banner .badge-active")).to_have_text("Active")

    change_status(page, "Completed")
    expect(page.get_by_role("heading", level=1, name=re.compile("Close this plan?"))).to_be_visible()
    expect(page.get_by_text("It is final.")).to_be_visible()
    expect(page.get_by_label("Completed: the plan's work is done")).to_be_checked()
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"
    screenshot("plan-close-confirm")
    assert_accessible(page)

    # Confirming without a reason closes nothing; the summary's link takes the cursor to the reason.
    page.get_by_role("button", name="Close the plan for good").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The plan was not closed")
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"
    assert_accessible(page)
    summary.get_by_role("link", name="Reason").click()
    expect(page.get_by_label("Reason")).to_be_focused()

    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Close the plan for good").click()

    expect(page.get_by_role("heading", level=1, name=plan.title)).to_be_visible()
    expect(page.locator(".patient-banner .badge-completed")).to_have_text("Completed")
    expect(page.get_by_text(REASON)).to_be_visible()
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)
    closed = TreatmentPlan.objects.get(pk=plan.pk)
    assert (closed.status, closed.status_reason) == ("completed", REASON)
    assert PlanVersion.objects.get(plan=plan).snapshot["plan"]["status_reason"] == REASON


def test_cancel_keeps_the_plan_open(page, sign_in, owner, plan):
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    change_status(page, "Discontinued")
    expect(page.get_by_label("Discontinued: the plan ends before its work is done")).to_be_checked()

    page.get_by_role("link", name="Cancel, keep it open").click()

    expect(page.get_by_role("heading", level=1, name=plan.title)).to_be_visible()
    assert TreatmentPlan.objects.get(pk=plan.pk).status == "active"
