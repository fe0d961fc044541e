"""Two-step sign-in in a real browser: enforced enrolment from the secret shown, then signing in with a code;
each page passes axe."""

import base64

import pytest

from accounts.models import Practice
from tests.accounts.mfa_support import code_for
from tests.browser.axe import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, user, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_enrol_when_required_then_sign_in_with_a_code(page, owner, password):
    Practice.objects.filter(pk=owner.practice_id).update(mfa_required=True)

    password_step(page, owner, password)
    page.wait_for_url("**/accounts/mfa/enrol/")
    assert page.locator(".mfa-qr svg").count() == 1
    assert_accessible(page)
    secret = page.locator(".mfa-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()

    page.get_by_label("Code from the app").fill("000000" if code_for(key) != "000000" else "111111")
    page.get_by_role("button", name="Confirm").click()
    assert page.locator(".field-error").count() == 1
    assert_accessible(page)
    page.get_by_label("Code from the app").fill(code_for(key))
    page.get_by_role("button", name="Confirm").click()
    assert page.locator(".recovery-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url("**/dashboard/")

    page.goto("/accounts/")
    assert "Recovery codes left: 10" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()

    password_step(page, owner, password)
    page.wait_for_url("**/accounts/login/code/")
    assert_accessible(page)
    page.get_by_label("Code").fill(code_for(key, ahead=1))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")

    page.goto("/accounts/")
    page.get_by_label("Name").fill("Billing system")
    page.get_by_label("Read only").check()
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Make token").click()
    assert page.locator(".new-token").inner_text()
    assert page.get_by_role("cell", name="Billing system", exact=True).count() == 1
    assert_accessible(page)
    page.get_by_role("button", name="Revoke Billing system").click()
    assert page.get_by_role("cell", name="Billing system", exact=True).count() == 0
