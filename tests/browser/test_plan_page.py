"""The plan page as a therapist reads it, on the demo's 12-goal plan: a patient banner, one compact row per
goal with one actions menu, a goal's details opening in place (by mouse and by keyboard), the side
column's panels ending about where the tree does, and a one-rating chart drawn as a point with its date.
axe finds no WCAG A/AA violation collapsed, expanded or with a menu open. Screenshots in tests/screenshots/.
"""

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.audit import AuditContext
from accounts.demo import DEMO_PASSWORD
from tests.browser.axe import assert_accessible
from tests.browser.goal_menu import expand_goal, goal_action
from tests.support import shown
from treatment.models import TreatmentPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The demo's generalized-anxiety plan: two long-term goals, four short-term goals, six objectives.
DEMO_MRN = "RCC-1001"
FIRST_GOAL = "Reduce worry so that it no longer disrupts work or sleep"
MAX_HEIGHT = 2500


def sign_in_demo(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


@pytest.fixture
def demo_plan():
    call_command("seed_demo", stdout=io.StringIO())
    plan = TreatmentPlan.objects.select_related("patient", "therapist").get(patient__external_id=DEMO_MRN)
    assert plan.goals.count() == 12
    return plan


def test_the_demo_plan_page_is_compact_and_a_goal_opens_in_place(page, screenshot, demo_plan):
    sign_in_demo(page, demo_plan.therapist.email)
    page.goto(f"/plans/{demo_plan.pk}/")

    # The banner: who the plan is for, at a glance.
    banner = page.get_by_role("region", name="Patient")
    patient = demo_plan.patient
    expect(banner).to_contain_text(patient.full_name)
    expect(banner).to_contain_text(re.compile(rf"Date of birth\s*{shown(patient.date_of_birth)}"))
    expect(banner).to_contain_text(re.compile(rf"MRN\s*{DEMO_MRN}"))
    expect(banner).to_contain_text(re.compile(r"Age\s*\d+"))
    expect(banner).to_contain_text("F41.1 Generalized anxiety disorder")
    expect(banner).to_contain_text(re.compile(r"Plan status\s*Active"))

    # Collapsed: one row per goal, each with one actions menu and nothing else to click but its details.
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"plan page of 12 goals, collapsed, at 1280x800: {height} px")
    assert height < MAX_HEIGHT
    cards = page.locator("article.goal-card")
    expect(cards).to_have_count(12)
    for i in range(12):
        card = cards.nth(i)
        expect(card.locator("details.goal-menu")).to_have_count(1)
        expect(card.locator("a:visible, button:visible, input:visible, select:visible")).to_have_count(0)
    assert "Baseline —" not in page.inner_text("main") and "—" not in page.locator("#goal-tree").inner_text()
    # The side column's panels stack beside the tree and end about where it does (nothing left empty).
    main_bottom = page.evaluate("document.querySelector('.plan-main').lastElementChild.getBoundingClientRect().bottom")
    side_bottom = page.evaluate("document.querySelector('.plan-side').lastElementChild.getBoundingClientRect().bottom")
    print(f"tree ends at {main_bottom:.0f} px, side panels at {side_bottom:.0f} px")
    assert abs(main_bottom - side_bottom) < 400
    screenshot("plan-page-demo-collapsed")
    assert_accessible(page)

    # Expanding a goal shows its details, chart and interventions under its row.
    first = page.get_by_role("article", name=FIRST_GOAL, exact=True)
    details = first.locator("details.goal-details").first
    expect(details.get_by_text("GAD-7 total score")).to_be_hidden()
    expand_goal(page, first)
    expect(details.get_by_text("GAD-7 total score")).to_be_visible()
    expect(details).to_contain_text("Baseline 15 GAD-7")
    expect(details).to_contain_text("target 5 GAD-7")
    expect(details).to_contain_text("SMART")
    expect(details.get_by_role("list", name="Interventions")).to_contain_text("Cognitive Restructuring")
    objective = page.get_by_role(
        "article", name="Complete a thought record for each worry episode rated 6/10 or higher"
    )
    expand_goal(page, objective)
    expect(objective.locator("svg[role=img]")).to_be_visible()
    assert_accessible(page)

    # The menu, by keyboard: Enter opens it, Tab reaches its first action, Escape closes it and returns.
    toggle = page.locator(f'summary[aria-label="Actions for: {FIRST_GOAL}"]')
    toggle.focus()
    page.keyboard.press("Enter")
    edit = page.get_by_role("link", name=f"Edit goal: {FIRST_GOAL}")
    expect(edit).to_be_visible()
    page.keyboard.press("Tab")
    expect(edit).to_be_focused()
    assert_accessible(page)  # with a menu open
    screenshot("plan-page-demo-expanded")
    page.keyboard.press("Escape")
    expect(edit).to_be_hidden()
    expect(toggle).to_be_focused()
    # One menu open at a time.
    goal_action(page, FIRST_GOAL, "link", f"Add intervention to: {FIRST_GOAL}")
    second_goal = "Lower physical tension and restore restful sleep"
    add_under = goal_action(page, second_goal, "link", f"Add short-term goal under: {second_goal}")
    expect(page.locator("details.goal-menu[open]")).to_have_count(1)
    # Choosing an action closes the menu; the form it opens is not covered by the list.
    add_under.click()
    expect(page.locator("form.goal-form").get_by_label("Description")).to_be_focused()
    expect(page.locator("details.goal-menu[open]")).to_have_count(0)
    page.locator("form.goal-form").get_by_role("link", name="Cancel").click()
    expect(page.locator("form.goal-form")).to_have_count(0)

    # A goal's details by keyboard too: Enter on its "Details" opens them.
    second = page.get_by_role("article", name=second_goal, exact=True)
    second.locator("details.goal-details > summary").first.focus()
    page.keyboard.press("Enter")
    expect(second.get_by_text("Sleep onset latency from the sleep diary")).to_be_visible()

    # On a tablet the panels flow below the tree, nothing wider than the screen.
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth") <= 768


def test_a_goal_rated_once_charts_one_point_with_its_date(page, sign_in, screenshot, owner, patient):
    from tests.factories import GoalFactory, PlanFactory
    from treatment.services import progress_record

    today = patient.practice.today()
    plan = PlanFactory(patient=patient, title="Anxiety Management Plan", start_date=today)
    goal = GoalFactory(plan=plan, description="Practise deep breathing daily")
    progress_record(by=AuditContext.system("tests"), goal=goal, progress_note="First week", rating=4)
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    card = page.locator(f"#goal-{goal.pk}-card")
    expect(card).to_contain_text(f"Last rating 4/10 · {shown(today)}")
    expand_goal(page, card)

    chart = card.locator("svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(1)
    labels = chart.locator("text").all_text_contents()
    # Its date once (under the point) and its figure beside it: no axis from a day to the same day.
    assert labels.count(shown(today)) == 1
    assert "40%" in labels
    expect(chart).to_have_attribute(
        "aria-label", re.compile(rf"“Practise deep breathing daily”: 40% on {shown(today)}\.$")
    )
    card.locator(".chart").screenshot(path=str(screenshot_path("plan-page-one-point-chart")))
    assert_accessible(page)


def screenshot_path(name: str):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_a_goals_progress_notes_open_in_place_newest_first(page, demo_plan):
    objective = demo_plan.goals.filter(goal_type="objective", progress_entries__isnull=False).distinct().first()
    notes = list(objective.progress_entries.order_by("-recorded_at").values_list("progress_note", flat=True))
    assert len(notes) >= 2
    sign_in_demo(page, demo_plan.therapist.email)
    page.goto(f"/plans/{demo_plan.pk}/")
    card = page.locator(f"#goal-{objective.pk}-card")

    expand_goal(page, card)
    card.get_by_role("link", name=re.compile("^Progress notes, newest first")).click()

    history = card.locator(f"#goal-{objective.pk}-history")
    expect(history).to_be_visible()
    assert page.url.endswith(f"/plans/{demo_plan.pk}/"), "opened in place, no page load"
    shown_notes = [text.strip() for text in history.locator(".session-note").all_inner_texts()]
    assert shown_notes == [note.strip() for note in notes]
    assert_accessible(page)
