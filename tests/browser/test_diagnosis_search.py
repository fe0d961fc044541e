"""The plan builder's diagnosis search in a real browser: typing finds what the clinician means first (whole
words, abbreviations), the suggestions are buttons in ranked order, and axe finds no WCAG A/AA violation with
the suggestions open.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def suggestions(page) -> list[str]:
    """The codes the picker suggests, in the order shown."""
    buttons = page.locator("#diagnosis-results").get_by_role("button")
    return [text.split()[0] for text in buttons.all_inner_texts()]


def test_panic_suggests_panic_disorder_first_and_no_ear_code(page, sign_in, screenshot, owner, patient):
    sign_in(owner)
    page.goto(f"/patients/{patient.pk}/plans/new/")

    page.get_by_label("Search diagnoses").press_sequentially("panic")

    results = page.locator("#diagnosis-results")
    expect(results.get_by_role("button").first).to_have_text(re.compile(r"^\s*F41\.0\s+Panic disorder"))
    expect(results.get_by_role("button")).to_have_count(3)
    assert suggestions(page) == ["F41.0", "F40.01", "F40.02"]
    expect(results).not_to_contain_text("tympanic")
    expect(results).to_contain_text("3 matching codes")
    screenshot("diagnosis-search-panic")
    assert_accessible(page)

    # An abbreviation finds its codes; choosing one adds it as a chip.
    page.get_by_label("Search diagnoses").fill("ptsd")
    expect(results.get_by_role("button").first).to_have_text(re.compile(r"^\s*F43\.10\s+Post-traumatic stress"))
    expect(results.get_by_role("button")).to_have_count(3)
    assert suggestions(page) == ["F43.10", "F43.11", "F43.12"]
    results.get_by_role("button", name=re.compile(r"^F43\.10\b")).click()
    expect(page.locator(".chips .chip-code", has_text="F43.10")).to_be_visible()
