"""The UI base in a real browser: sign in, find a patient, edit, the 404 for others, lockout, keyboard."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent, Patient
from tests.factories import PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_therapist_signs_in_finds_a_patient_and_edits_the_record(page, sign_in, screenshot, owner, patient):
    page.goto("/accounts/login/")
    screenshot("login")
    sign_in(owner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()

    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    screenshot("patient-list")
    page.get_by_role("link", name="Carter, Emily").click()
    expect(page.get_by_role("heading", name=re.compile("Emily Carter"))).to_be_visible()
    screenshot("patient-detail")

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Phone").fill("555-0199")
    screenshot("patient-edit")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(page.get_by_text("555-0199")).to_be_visible()
    assert Patient.objects.get(pk=patient.pk).phone == "555-0199"
    assert AuditEvent.objects.filter(patient=patient, action="update", channel="web", user=owner).exists()


def test_a_colleague_gets_not_found_for_the_patient_page(page, sign_in, screenshot, colleague, patient):
    sign_in(colleague)
    page.goto("/patients/")
    expect(page.get_by_text("Carter, Emily")).to_have_count(0)

    response = page.goto(f"/patients/{patient.pk}/")

    assert response.status == 404
    expect(page.get_by_role("heading", name=re.compile("not found", re.I))).to_be_visible()
    expect(page.get_by_text("Emily")).to_have_count(0)
    screenshot("patient-not-found")


def test_a_form_error_keeps_what_was_typed(page, sign_in, owner):
    sign_in(owner)
    page.goto("/patients/")
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name").fill("Jonah")
    page.get_by_label("Date of birth").fill("1984-07-02")
    page.get_by_label("Phone").fill("555-0142")
    # Last name left empty: the browser's own check would stop the submit, so skip it.
    page.locator("form.patient-form, main form").last.evaluate("f => f.noValidate = true")
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#id_last_name_error")).to_have_text("This field is required.")
    expect(page.get_by_role("alert")).to_contain_text("Last name: This field is required.")
    expect(page.get_by_label("First name")).to_have_value("Jonah")
    expect(page.get_by_label("Phone")).to_have_value("555-0142")
    assert not Patient.objects.filter(first_name="Jonah").exists()


def test_five_wrong_passwords_lock_the_account_in_the_browser(page, screenshot, owner, password):
    for _ in range(5):
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(owner.email)
        page.get_by_label("Password").fill("not-my-password-1")
        page.get_by_role("button", name="Sign in").click()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Account locked")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("locked for 30 minutes")
    screenshot("locked-out")


def test_the_keyboard_reaches_the_skip_link_first_and_focus_is_visible(page, sign_in, owner):
    PatientFactory(primary_therapist=owner, first_name="Ada", last_name="Byrne")
    sign_in(owner)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
