"""The outcomes by intervention page in a browser: sorted by keyboard from a column heading, a period that ends
before it starts refused with what was typed kept, axe clean in both states."""

import datetime

import pytest

from tests.browser.axe import assert_accessible
from tests.treatment.outcomes_support import at, library, measured_objective, patient_goal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def caseload(owner):
    """Five patients on Deep Breathing and five on Cognitive Defusion, rated and progressing in 2026; one on
    Values Clarification (its row withheld)."""
    breathing, defusion = library("Deep Breathing"), library("Cognitive Defusion")
    for i in range(5):
        patient_goal(owner, [breathing], rating=4, progress=[(at(datetime.date(2026, 2, 1)), 3 + i)])
        patient_goal(owner, [defusion], rating=2, progress=[(at(datetime.date(2026, 2, 1)), 2)])
    measured_objective(owner, [library("Values Clarification")], scores=[(datetime.date(2026, 3, 1), 12)])


def test_the_outcomes_page_sorts_by_keyboard_and_is_accessible(page, sign_in, owner, caseload, screenshot):
    sign_in(owner)
    page.goto("/dashboard/")
    page.get_by_role("link", name="Outcomes by intervention").click()
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-06-30")
    page.get_by_role("button", name="Show").click()
    assert page.locator("main h1").inner_text() == "Outcomes by intervention"
    rows = page.locator("table.outcomes-table tbody th")
    assert rows.count() == 3
    assert_accessible(page)

    heading = page.get_by_role("link", name="Mean rating (1-5)")
    heading.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=mean_rating")
    assert page.locator('th[aria-sort="ascending"]').inner_text() == "Mean rating (1-5)"
    names = [name.split(" ")[0] for name in rows.all_inner_texts()]
    assert names == ["Cognitive", "Deep", "Values"]
    page.get_by_role("link", name="Mean rating (1-5)").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**sort=-mean_rating")
    assert [name.split(" ")[0] for name in rows.all_inner_texts()] == ["Deep", "Cognitive", "Values"]
    assert page.locator("figure.chart svg[role=img]").count() == 1
    screenshot("outcomes")


def test_a_period_ending_before_it_starts_is_refused_with_what_was_typed(page, sign_in, owner):
    sign_in(owner)
    page.goto("/outcomes/interventions/")
    page.get_by_label("From").fill("2026-05-01")
    page.get_by_label("To").fill("2026-04-30")
    page.get_by_role("button", name="Show").click()
    assert "The end of the period (until) is before its start (since)." in page.locator(".error-summary").inner_text()
    assert page.get_by_label("From").input_value() == "2026-05-01"
    assert page.get_by_label("To").input_value() == "2026-04-30"
    assert_accessible(page)
