"""axe-core (the engine behind most accessibility audits) finds no WCAG 2.1 A/AA violations."""

import pytest

from tests.browser.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sign_in_page_is_accessible(page):
    page.goto("/accounts/login/")
    assert_accessible(page)


def test_the_sign_in_page_with_errors_is_accessible(page, owner):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill("wrong-password-1")
    page.get_by_role("button", name="Sign in").click()
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/patients/", "/patients/{pk}/", "/patients/{pk}/edit/", "/patients/new/"])
def test_patient_pages_are_accessible(page, sign_in, owner, patient, path):
    sign_in(owner)
    page.goto(path.format(pk=patient.pk))
    assert_accessible(page)


def test_a_form_with_errors_is_accessible(page, sign_in, owner):
    sign_in(owner)
    page.goto("/patients/new/")
    page.locator("main form").last.evaluate("f => f.noValidate = true")
    page.get_by_role("button", name="Save").click()
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/accounts/password/reset/", "/accounts/password/change/"])
def test_password_pages_are_accessible(page, sign_in, owner, path):
    sign_in(owner)
    page.goto(path)
    assert_accessible(page)
