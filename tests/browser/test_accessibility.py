"""axe-core (the engine behind most accessibility audits) finds no WCAG 2.1 A/AA violations."""

import datetime

import pytest

from accounts.audit import AuditContext
from reviews.services.reviews import review_record
from tests.browser.axe import assert_accessible
from treatment.services import progress_record

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


@pytest.fixture
def reviewed_plan(owner, tree):
    """A plan with a goal tree, one rated progress entry and a recorded review (so version 1 is sealed)."""
    by = AuditContext.system("tests", user=owner)
    plan = tree["objective"].plan
    progress_record(by=by, goal=tree["objective"], progress_note="Breathing daily.", rating=6)
    today = plan.patient.practice.today()
    plan.start_date = today - datetime.timedelta(days=30)
    plan.save(update_fields=["start_date"])
    review_record(by=by, plan=plan, review_date=today, summary="On track.")
    return plan


@pytest.mark.parametrize(
    "path",
    [
        "/plans/{pk}/",
        "/plans/{pk}/review/",
        "/plans/{pk}/versions/",
        "/plans/{pk}/versions/1/",
        "/plans/{pk}/versions/compare/?a=1&b=current",
        "/plans/{pk}/sessions/new/",
        "/plans/{pk}/edit/",
    ],
)
def test_plan_pages_are_accessible(page, sign_in, owner, reviewed_plan, path):
    sign_in(owner)
    page.goto(path.format(pk=reviewed_plan.pk))
    assert page.locator("main h1").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/dashboard/", "/notifications/", "/interventions/", "/interventions/new/"])
def test_home_pages_are_accessible(page, sign_in, owner, reviewed_plan, path):
    sign_in(owner)
    page.goto(path)
    assert_accessible(page)


@pytest.mark.parametrize("role", ["supervisor", "practice_admin"])
def test_the_dashboard_of_a_supervisor_and_of_a_practice_admin_is_accessible(page, sign_in, cast, reviewed_plan, role):
    sign_in(cast[role])
    assert page.locator("main h2").count() >= 2
    assert_accessible(page)
