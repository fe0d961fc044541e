"""The pages that are not ours to write work under the Content-Security-Policy: Swagger UI and the Django
admin. (Every browser test fails on a CSP violation: tests/browser/conftest.py.)"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CSP_REPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_api_and_tries_a_call(page, sign_in, owner):
    sign_in(owner)
    page.goto("/api/docs/")

    expect(page.get_by_role("heading", name=re.compile("Trellis API"))).to_be_visible()
    operation = page.locator(".opblock-summary", has_text="/api/v1/staff/me").first
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")


def test_the_admin_lists_and_opens_staff(page, password, practice_admin, owner):
    page.goto("/admin/login/")
    page.get_by_label("Email").fill(practice_admin.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Practice administration")).to_be_visible()

    page.goto("/admin/accounts/user/")
    page.get_by_role("link", name=owner.email).click()
    expect(page.get_by_label("Full name")).to_have_value(owner.full_name)
    page.get_by_label("Supervisor").focus()


def test_the_policy_refuses_inline_style_and_chromium_says_so(browser, live_server):
    """What the `page` fixture listens for: under our policy an inline style is refused, and reported."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")

    with page.expect_console_message(lambda message: CSP_REPORT in message.text) as report:
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")

    assert "style-src" in report.value.text
    context.close()
