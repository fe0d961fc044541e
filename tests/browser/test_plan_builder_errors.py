"""The plan builder shows every error of one submit at once, in a real browser: a missing title, an end date
before the start and a bad diagnosis code come back together in one summary, and each of its links moves the
cursor to its field. axe finds no WCAG A/AA violation on the page with the errors.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from treatment.models import TreatmentPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_one_submit_shows_three_errors_and_the_summary_leads_to_each_field(page, sign_in, screenshot, owner, patient):
    sign_in(owner)
    page.goto(f"/patients/{patient.pk}/plans/new/")

    page.get_by_label("Title").fill("")
    page.get_by_label("Start date").fill("2026-09-01")
    page.get_by_label("Target end date").fill("2026-08-01")
    page.get_by_label("Diagnosis codes (comma-separated)").fill("F99.999")
    page.get_by_role("button", name="Save plan").last.click()

    summary = page.get_by_role("alert").filter(has_text="The plan was not saved")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_text(["Title", "Target end date", "Diagnoses"])
    assert not TreatmentPlan.objects.filter(patient=patient).exists()
    # What was typed is kept.
    expect(page.get_by_label("Target end date")).to_have_value("2026-08-01")
    expect(page.get_by_label("Diagnosis codes (comma-separated)")).to_have_value("F99.999")
    screenshot("builder-all-errors")
    assert_accessible(page)

    for name, field in (
        ("Title", page.get_by_label("Title")),
        ("Target end date", page.get_by_label("Target end date")),
        ("Diagnoses", page.get_by_label("Search diagnoses")),
    ):
        summary.get_by_role("link", name=name).click()
        expect(field).to_be_focused()

    # Fixing all three saves the plan in one more submit.
    page.get_by_label("Title").fill("Anxiety Management Plan")
    page.get_by_label("Target end date").fill("2027-03-01")
    page.get_by_label("Diagnosis codes (comma-separated)").fill("F41.1")
    page.get_by_role("button", name="Save plan").last.click()
    expect(page.get_by_role("heading", level=1, name="Anxiety Management Plan")).to_be_visible()
    assert [d["code"] for d in TreatmentPlan.objects.get(patient=patient).diagnosis_codes] == ["F41.1"]
