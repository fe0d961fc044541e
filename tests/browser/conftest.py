"""A real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright against live_server.

CI sets REQUIRE_BROWSER=1 so a missing browser fails the run; elsewhere the browser tests are
skipped with that reason.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the live server's ORM calls are ours.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
#: What Chromium's console says of anything the Content-Security-Policy refused.
CSP_REPORT = "Content Security Policy"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(f"No Chromium at {CHROMIUM}: install Debian's chromium package.")
        pytest.skip(f"No Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def system_library(transactional_db):
    """The built-in intervention library: a migration loads it, but transactional tests flush it away."""
    from interventions.library import load_system_library
    from interventions.models import Intervention

    load_system_library(Intervention)


@pytest.fixture
def page(browser, live_server):
    """A tab on the live server; a test whose pages break the Content-Security-Policy fails (Chromium reports
    each refused script, style or handler on the console)."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: violations.append(f"{page.url}: {message.text}") if CSP_REPORT in message.text else None,
    )
    yield page
    context.close()
    assert violations == [], "The page broke the Content-Security-Policy:\n" + "\n".join(violations)


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(name: str):
        # caret="initial": hiding the caret would inject a <style> into the page, which its CSP refuses.
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")

    return take


@pytest.fixture
def sign_in(page, password):
    def sign_in_as(user):
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        # Signing in lands on the dashboard (LOGIN_REDIRECT_URL is "home", which sends a user there).
        page.wait_for_url("**/dashboard/")

    return sign_in_as
