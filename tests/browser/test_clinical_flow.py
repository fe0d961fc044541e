"""The clinical day end to end in a real browser, through the pages only: a therapist opens the patient,
starts a plan with two diagnoses, builds a goal tree with interventions, records a session with progress
on two goals, sees the plan's progress bars and charts change, records a review; a colleague gets "not
found" for the plan. Every page is screenshotted (tests/screenshots/).
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.browser.axe import assert_accessible
from tests.browser.goal_menu import expand_goal, goal_action
from treatment.models import GoalProgress, TherapySession, TreatmentGoal, TreatmentPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


LONG_TERM = "Reduce overall anxiety to a manageable level"
SHORT_TERM = "Learn and practise three relaxation techniques"
OBJECTIVE = "Practise deep breathing for 10 minutes every day"


def add_goal(page, button_name, description, under=None):
    """Open the goal form from `button_name` (in the actions menu of the goal `under`), type the description,
    save; the tree comes back with it."""
    # htmx binds the link when the page has loaded: a click before that (a loaded machine, the page just reached)
    # follows the link to the goal's own page instead, where the SMART hint's request raced the typing.
    page.wait_for_load_state("load")
    if under is None:
        page.get_by_role("link", name=button_name).first.click()
    else:
        goal_action(page, under, "link", button_name).click()
    form = page.locator("form.goal-form")
    expect(form).to_be_visible()
    form.get_by_label("Description").fill(description)
    form.get_by_role("button", name="Save goal").click()
    expect(page.locator("form.goal-form")).to_have_count(0)
    expect(page.get_by_role("heading", name=description)).to_be_visible()


def add_intervention(page, goal, name, query, frequency):
    goal_action(page, goal, "link", f"Add intervention to: {goal}").click()
    picker = page.locator("section.intervention-picker")
    expect(picker).to_be_visible()
    picker.get_by_label("Search interventions").fill(query)
    result = picker.locator("li.intervention-result", has_text=name)
    expect(result).to_be_visible()
    result.get_by_label(f"Frequency for {name}").fill(frequency)
    result.get_by_role("button", name=f"Add {name}").click()
    # Adding swaps the tree back in, the goal's card listing its new intervention.
    expect(page.locator("section.intervention-picker")).to_have_count(0)
    card = page.get_by_role("article", name=goal, exact=True)
    expect(card.get_by_role("list", name="Interventions")).to_contain_text(f"{name}")


def choose_diagnosis(page, query, code):
    page.get_by_label("Search diagnoses").fill(query)
    page.locator("#diagnosis-results").get_by_role("button", name=re.compile(rf"^{re.escape(code)}\b")).click()
    expect(page.locator(".chips .chip-code", has_text=code)).to_be_visible()


def overall_progress(page) -> str:
    return page.locator(".overall-progress [role=progressbar]").get_attribute("aria-valuenow")


def test_a_therapist_plans_records_a_session_and_reviews_a_colleague_sees_nothing(
    page, sign_in, screenshot, owner, colleague, patient
):
    # --- the dashboard, then the patient through the navigation -----------------------------------
    sign_in(owner)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    screenshot("dashboard")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_role("link", name="Carter, Emily").click()
    expect(page.get_by_role("heading", name=re.compile("Emily Carter"))).to_be_visible()
    expect(page.get_by_text("No treatment plan yet.")).to_be_visible()
    screenshot("patient")

    # --- start a plan with two diagnoses (autocomplete) ---------------------------------------------
    page.get_by_role("link", name="Start a plan").click()
    expect(page.get_by_role("heading", name=re.compile("New treatment plan"))).to_be_visible()
    page.get_by_label("Title").fill("Anxiety and Sleep Plan")
    choose_diagnosis(page, "generalized anxiety", "F41.1")
    choose_diagnosis(page, "primary insomnia", "F51.01")
    page.get_by_role("button", name="Add presenting problem").click()
    page.get_by_label("Presenting problem 1").fill("chronic worry")
    screenshot("plan-builder")
    page.get_by_role("button", name="Save plan").last.click()

    expect(page.get_by_role("heading", level=1, name="Anxiety and Sleep Plan")).to_be_visible()
    plan = TreatmentPlan.objects.get(patient=patient)
    assert [d["code"] for d in plan.diagnosis_codes] == ["F41.1", "F51.01"]
    plan_url = f"/plans/{plan.pk}/"
    assert page.url.endswith(plan_url)

    # --- the goal tree: long-term -> short-term -> objective, with interventions ---------------------
    add_goal(page, "Add long-term goal", LONG_TERM)
    add_goal(page, f"Add short-term goal under: {LONG_TERM}", SHORT_TERM, under=LONG_TERM)
    add_goal(page, f"Add objective under: {SHORT_TERM}", OBJECTIVE, under=SHORT_TERM)
    add_intervention(page, OBJECTIVE, "Deep Breathing", "breathing", "every session")
    add_intervention(page, SHORT_TERM, "Progressive Muscle Relaxation", "muscle", "weekly")
    goals = {g.description: g for g in TreatmentGoal.objects.filter(plan=plan)}
    assert goals[SHORT_TERM].parent_goal == goals[LONG_TERM]
    assert goals[OBJECTIVE].parent_goal == goals[SHORT_TERM]
    assert overall_progress(page) == "0"
    expect(page.get_by_text("Not rated yet").first).to_be_visible()
    screenshot("plan-page")

    # --- record a session: one page, one submit, progress on two goals --------------------------------
    page.get_by_role("link", name="Record session").click()
    expect(page.get_by_role("heading", level=1, name="Record a session")).to_be_visible()
    expect(page.get_by_label("Duration (minutes)")).to_have_value("50")
    page.get_by_label("Session notes").fill("Reviewed the breathing log; practised muscle relaxation.")
    # Every goal's fields are open; writing for a goal addresses it (its tick follows), without a reload.
    page.get_by_label(f"Progress note for {OBJECTIVE}").fill("Breathing practised on 6 of 7 days.")
    expect(page.get_by_label(OBJECTIVE, exact=True)).to_be_checked()
    page.get_by_label(f"Value for {OBJECTIVE}").fill("6 days")
    page.get_by_role("group", name=f"Rating (1–10) for {OBJECTIVE}").get_by_text("8", exact=True).click()  # noqa: RUF001
    page.get_by_role("group", name=f"Interventions delivered for {OBJECTIVE}").get_by_label("Deep Breathing").check()
    page.get_by_label(f"Progress note for {SHORT_TERM}").fill("Two of three techniques learned.")
    page.get_by_role("group", name=f"Rating (1–10) for {SHORT_TERM}").get_by_text("5", exact=True).click()  # noqa: RUF001
    page.get_by_label("Search the intervention library").fill("mindfulness")
    page.locator("#session-library-results").get_by_role("checkbox", name=re.compile(r"^Mindfulness ·")).check()
    screenshot("record-session")
    page.get_by_role("button", name="Record session").click()

    expect(page.get_by_role("status")).to_contain_text("Session recorded — progress updated on 2 goals")
    assert page.url.endswith(plan_url)
    session = TherapySession.objects.get(plan=plan)
    assert session.therapist == owner
    assert GoalProgress.objects.filter(session=session).count() == 2
    assert set(session.session_interventions.values_list("intervention__name", flat=True)) == {
        "Deep Breathing",
        "Mindfulness",
    }
    # The bars moved: the objective at 80%, the short-term goal rolled up from it, and the plan overall.
    assert overall_progress(page) == "80"
    objective_card = page.locator(f"#goal-{goals[OBJECTIVE].pk}-card")
    expect(objective_card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "80")
    expect(objective_card).to_contain_text("Last rating 8/10")
    # The charts: the two goals with rated progress now draw one, in their details.
    expand_goal(page, objective_card)
    expect(objective_card.locator("svg[role=img]")).to_be_visible()
    short_term_card = page.locator(f"#goal-{goals[SHORT_TERM].pk}-card")
    expand_goal(page, short_term_card)
    expect(short_term_card.locator("svg[role=img]")).to_be_visible()
    screenshot("plan-page-after-session")

    # --- the patient page shows the plan and the session ---------------------------------------------
    page.get_by_role("link", name="Emily Carter").first.click()
    plans_panel = page.locator("section.patient-plans")
    expect(plans_panel.get_by_role("link", name="Anxiety and Sleep Plan")).to_be_visible()
    expect(plans_panel.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "80")
    expect(page.locator("section.patient-sessions tbody tr")).to_have_count(1)
    screenshot("patient-with-plan")
    plans_panel.get_by_role("link", name="Anxiety and Sleep Plan").click()

    # --- record a review ----------------------------------------------------------------------------
    page.get_by_role("link", name="Record review").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Review"))).to_be_visible()
    page.get_by_label("Summary").fill("Good progress on breathing; sleep still short.")
    page.get_by_label("Modifications made").fill("Added a wind-down routine to the short-term goal.")
    screenshot("review")
    page.get_by_role("button", name="Record review").click()
    assert page.url.endswith(plan_url)
    plan.refresh_from_db()
    assert plan.reviews.count() == 1
    expect(page.get_by_text("Good progress on breathing; sleep still short.")).to_be_visible()
    screenshot("plan-page-after-review")

    # --- a colleague: not found ---------------------------------------------------------------------
    page.get_by_role("button", name="Sign out").click()
    sign_in(colleague)
    response = page.goto(plan_url)
    assert response.status == 404
    expect(page.get_by_role("heading", name=re.compile("not found", re.I))).to_be_visible()
    expect(page.get_by_text("Anxiety and Sleep Plan")).to_have_count(0)
    screenshot("plan-not-found")
    assert AuditEvent.objects.filter(user=owner, channel="web", object_id=str(plan.pk), action="view").exists()
    # Nothing was read; the refusal itself is recorded.
    refused = AuditEvent.objects.filter(user=colleague, object_id=str(plan.pk))
    assert list(refused.values_list("action", flat=True)) == ["denied"]


def test_the_session_page_works_at_tablet_width_and_by_keyboard(page, sign_in, screenshot, owner, patient):
    """Tick a goal with the keyboard (Space), its fields open; every field has a visible focus ring."""
    from tests.factories import GoalFactory, PlanFactory

    plan = PlanFactory(patient=patient, title="Anxiety Management Plan")
    goal = GoalFactory(plan=plan, description=LONG_TERM)
    page.set_viewport_size({"width": 820, "height": 1100})
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/sessions/new/")

    checkbox = page.get_by_label(LONG_TERM, exact=True)
    checkbox.focus()
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    note = page.get_by_label(f"Progress note for {LONG_TERM}")
    expect(note).to_be_visible()
    page.keyboard.press("Tab")
    expect(note).to_be_focused()
    outline = note.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    note.fill("Calmer this week.")
    page.keyboard.press("Tab")
    expect(page.get_by_label(f"Value for {LONG_TERM}")).to_be_focused()
    page.keyboard.press("Tab")
    rating = page.get_by_role("group", name=f"Rating (1–10) for {LONG_TERM}")  # noqa: RUF001
    expect(rating.get_by_role("radio", name="Not rated")).to_be_focused()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820, "no horizontal scroll at tablet width"
    screenshot("record-session-tablet")
    page.get_by_role("button", name="Record session").click()
    expect(page.get_by_role("status")).to_contain_text("progress updated on 1 goal")
    assert GoalProgress.objects.get(goal=goal).progress_note == "Calmer this week."


def test_the_session_page_and_the_patient_panels_are_accessible(page, sign_in, screenshot, owner, patient):
    """axe finds no WCAG 2.1 AA violation: the session page opened, ticked, refused; the patient page's panels."""
    from tests.factories import GoalFactory, PlanFactory, intervention
    from treatment.services import plan_update

    plan = PlanFactory(patient=patient, title="Anxiety Management Plan")
    long_term = GoalFactory(plan=plan, description=LONG_TERM)
    GoalFactory(
        parent_goal=long_term,
        goal_type="short_term",
        description=SHORT_TERM,
        interventions=[{"intervention": intervention("Progressive Muscle Relaxation")}],
    )
    closed = PlanFactory(patient=patient, title="Grief Plan")
    plan_update(by=AuditContext.system("tests"), plan=closed, status="completed", status_reason="Closed in a test.")
    sign_in(owner)

    page.goto(f"/plans/{plan.pk}/sessions/new/")
    assert_accessible(page)
    page.get_by_label(SHORT_TERM, exact=True).check()
    rating = page.get_by_role("group", name=f"Rating (1–10) for {SHORT_TERM}")  # noqa: RUF001
    rating.get_by_text("6", exact=True).click()
    page.get_by_label("Search the intervention library").fill("breathing")
    expect(page.get_by_role("checkbox", name=re.compile(r"^Deep Breathing ·"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Record session").click()  # a rating without a note is refused
    expect(page.get_by_role("alert")).to_contain_text("The session was not recorded")
    expect(page.get_by_label(f"Progress note for {SHORT_TERM}")).to_have_attribute("aria-invalid", "true")
    expect(rating.get_by_role("radio", name="6", exact=True)).to_be_checked()
    screenshot("record-session-errors")
    assert_accessible(page)

    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_role("heading", name="Treatment plans")).to_be_visible()
    assert_accessible(page)
