"""The clinical home in a real browser: sign in to the dashboard, open a notification, add to the library.

Screenshots: "dashboard" and "interventions" (tests/screenshots/).
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from interventions.models import Intervention
from reviews.models import Notification
from tests.browser.axe import assert_accessible
from tests.factories import PatientFactory, PlanFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def caseload(owner, patient):
    """Emily Carter's plan is 4 days overdue, Ben Adams' is due in 3 days, Cara Bell's in 60; a reminder waits."""
    today = patient.practice.today()

    def plan(person, title, days, progress):
        created = PlanFactory(
            patient=person,
            title=title,
            start_date=today - datetime.timedelta(days=120),
            next_review_date=today + datetime.timedelta(days=days),
        )
        type(created).objects.filter(pk=created.pk).update(overall_progress=progress)
        return created

    overdue = plan(patient, "Anxiety Management Plan", -4, 45)
    plan(
        PatientFactory(primary_therapist=owner, first_name="Ben", last_name="Adams"), "Depression Recovery Plan", 3, 70
    )
    plan(PatientFactory(primary_therapist=owner, first_name="Cara", last_name="Bell"), "Sleep and Routine Plan", 60, 20)
    PatientFactory(primary_therapist=owner, first_name="Dana", last_name="Cruz")  # no plan yet
    Notification.objects.create(
        recipient=owner,
        kind="overdue",
        title="Review overdue for E.C.",
        body="The review of E.C.'s plan was due 4 days ago.",
        link=f"/plans/{overdue.pk}/",
        plan=overdue,
    )
    return {"overdue": overdue}


def test_a_therapist_lands_on_the_dashboard_and_adds_a_custom_intervention(page, sign_in, screenshot, owner, caseload):
    sign_in(owner)

    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    needs_review = page.get_by_role("region", name=re.compile("Needs review"))
    expect(needs_review.get_by_role("link", name="Anxiety Management Plan")).to_be_visible()
    expect(needs_review.get_by_role("link", name="Depression Recovery Plan")).to_be_visible()
    expect(needs_review.get_by_role("link", name="Sleep and Routine Plan")).to_have_count(0)
    rows = needs_review.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Overdue")
    expect(rows.nth(2)).to_contain_text("Due soon")
    caseload_region = page.get_by_role("region", name="My caseload")
    expect(caseload_region.get_by_role("link", name="Sleep and Routine Plan")).to_be_visible()
    expect(page.get_by_text("2 of 4 active patients (50%) have a current plan")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notifications 1 unread")).to_be_visible()
    screenshot("dashboard")

    nav.get_by_role("link", name="Interventions").click()
    expect(page.get_by_role("heading", name="Interventions", level=1)).to_be_visible()
    page.get_by_label("Name or description").fill("breathing")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name=re.compile("^Deep Breathing"))).to_be_visible()
    expect(page.get_by_text("Built-in").first).to_be_visible()

    page.get_by_role("link", name="Add a custom intervention").click()
    page.get_by_label("Name").fill("Nature Walk Mindfulness")
    page.get_by_label("Description").fill("A mindful walk outdoors, noticing five things seen, heard and felt.")
    page.get_by_label("Modality").select_option(label="Mindfulness-based")
    page.get_by_label("Category").select_option(label="Acceptance and mindfulness")
    page.get_by_label("Evidence level").select_option(label="Emerging")
    page.get_by_role("button", name="Add intervention").click()

    expect(page.get_by_role("status")).to_contain_text("Nature Walk Mindfulness was added")
    page.get_by_label("Category").select_option(label="Acceptance and mindfulness")
    page.get_by_role("button", name="Search").click()
    row = page.get_by_role("row", name=re.compile("Nature Walk Mindfulness"))
    expect(row).to_contain_text("Practice custom")
    expect(row.get_by_role("link", name="Edit Nature Walk Mindfulness")).to_be_visible()
    screenshot("interventions")

    added = Intervention.objects.get(name="Nature Walk Mindfulness")
    assert (added.practice_id, added.created_by_id, added.modality) == (owner.practice_id, owner.pk, "mindfulness")


def test_opening_a_notification_marks_it_read_and_goes_to_the_plan(page, sign_in, owner, caseload):
    sign_in(owner)

    page.get_by_role("region", name="Notifications").get_by_role("button", name=re.compile("^Open")).click()

    expect(page).to_have_url(re.compile(rf"/plans/{caseload['overdue'].pk}/$"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert Notification.objects.get(recipient=owner).read_at is not None


def test_mark_all_read_on_the_notifications_page(page, sign_in, owner, caseload):
    Notification.objects.create(recipient=owner, kind="due_soon", title="Review due soon for B.A.")
    sign_in(owner)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications 2 unread").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    page.get_by_role("button", name="Mark all read").click()

    expect(page.get_by_role("status")).to_contain_text("Marked 2 notifications read.")
    expect(page.get_by_role("button", name="Mark all read")).to_have_count(0)
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()


@pytest.mark.parametrize("path", ["/dashboard/", "/notifications/", "/interventions/", "/interventions/new/"])
def test_the_home_pages_are_accessible(page, sign_in, owner, caseload, path):
    sign_in(owner)
    page.goto(path)
    assert_accessible(page)


def test_the_supervisor_dashboard_and_a_form_with_errors_are_accessible(page, sign_in, owner, supervisor, caseload):
    sign_in(supervisor)
    expect(page.get_by_role("heading", name="My supervisees' plans")).to_be_visible()
    assert_accessible(page)

    page.goto("/interventions/new/")
    page.get_by_label("Name").fill("Deep Breathing")
    page.get_by_label("Modality").select_option(label="Behavioral")
    page.get_by_role("button", name="Add intervention").click()
    expect(page.locator("#id_name_error")).to_have_text("An intervention with this name is already in your library.")
    expect(page.get_by_role("alert")).to_contain_text(
        "Name: An intervention with this name is already in your library."
    )
    expect(page.get_by_label("Name")).to_have_value("Deep Breathing")
    assert_accessible(page)


def test_the_dashboard_fits_a_tablet_and_the_keyboard_reaches_the_notifications(page, sign_in, owner, caseload):
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(owner)

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Notifications"))
    for _ in range(10):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    expect(link).to_be_focused()
    assert link.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
