"""The duplicate-patient warning in a real browser: registering a second Emily Carter born the same day shows the
existing record (linked for whom may open it) before anything is saved, and "register anyway" saves it with
everything typed. A colleague who cannot see the existing record is told only that one exists. axe finds no
WCAG A/AA violation on the warning.
"""

import pytest
from playwright.sync_api import expect

from accounts.models import Patient
from tests.browser.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_emily(page):
    page.goto("/patients/new/")
    page.get_by_label("First name").fill("emily")
    page.get_by_label("Last name").fill("Carter")
    page.get_by_label("Date of birth").fill("1990-05-17")
    page.get_by_label("Phone").fill("555-0142")
    page.get_by_role("button", name="Save").click()


def carters(patient) -> int:
    return Patient.objects.filter(practice=patient.practice, last_name="Carter").count()


def test_the_owner_sees_the_existing_record_and_registers_anyway(page, sign_in, screenshot, owner, patient):
    sign_in(owner)
    fill_emily(page)

    expect(page.get_by_role("heading", name="Possible duplicate")).to_be_visible()
    expect(page.get_by_role("link", name="Emily Carter", exact=True)).to_have_attribute(
        "href", patient.get_absolute_url()
    )
    assert carters(patient) == 1
    expect(page.get_by_label("Phone")).to_have_value("555-0142")
    screenshot("patient-duplicate")
    assert_accessible(page)

    # The summary's link leads to the explicit "register anyway".
    page.get_by_role("alert").get_by_role("link", name="This is a different person: register them anyway").click()
    checkbox = page.get_by_label("This is a different person: register them anyway")
    expect(checkbox).to_be_focused()
    checkbox.check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("was added")
    assert carters(patient) == 2
    assert Patient.objects.filter(first_name="emily", phone="555-0142").exists()


def test_a_colleague_is_told_only_that_a_record_exists(page, sign_in, colleague, patient):
    sign_in(colleague)
    fill_emily(page)

    warning = page.locator(".duplicate-warning")
    expect(warning).to_contain_text("A record with this name and date of birth exists in the practice")
    expect(warning.get_by_role("link")).to_have_count(0)
    assert carters(patient) == 1
    assert_accessible(page)
