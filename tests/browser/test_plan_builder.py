"""The plan builder and the goal tree in a real browser: with htmx (autocomplete, inline forms, the tree
swapped in place) and without JavaScript (the same buttons as plain form posts); axe finds no WCAG A/AA
violation on the builder or the plan page.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import AuditEvent
from tests.browser.axe import assert_accessible
from tests.browser.goal_menu import expand_goal, goal_action
from treatment.models import GoalIntervention, TreatmentGoal, TreatmentPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_TERM = "Reduce overall anxiety to a manageable level"
SHORT_TERM = "Learn and practise three relaxation techniques"
OBJECTIVE = "Practise deep breathing for 10 minutes every day"


def choose_diagnosis(page, query, code):
    page.get_by_label("Search diagnoses").fill(query)
    page.locator("#diagnosis-results").get_by_role("button", name=re.compile(rf"^{re.escape(code)}\b")).click()
    expect(page.locator(".chips .chip-code", has_text=code)).to_be_visible()
    # Choosing clears the search and puts the cursor back in it for the next diagnosis.
    expect(page.get_by_label("Search diagnoses")).to_be_focused()
    expect(page.get_by_label("Search diagnoses")).to_have_value("")


def add_goal(page, link_name, description, under=None, **fields):
    if under is None:
        page.get_by_role("link", name=link_name).click()
    else:  # in the actions menu of the goal `under`
        goal_action(page, under, "link", link_name).click()
    form = page.locator("form.goal-form")
    expect(form.get_by_label("Description")).to_be_focused()
    form.get_by_label("Description").fill(description)
    for label, value in fields.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name="Save goal").click()
    expect(page.locator("form.goal-form")).to_have_count(0)
    heading = page.get_by_role("heading", name=description)
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()


def test_a_therapist_builds_a_plan_and_its_goal_tree(page, sign_in, screenshot, owner, patient):
    sign_in(owner)
    page.goto(f"/patients/{patient.pk}/plans/new/")
    expect(page.get_by_role("heading", level=1, name=re.compile("New treatment plan"))).to_be_visible()

    # --- the builder: title, two diagnoses by autocomplete, presenting problems ---------------------
    page.get_by_label("Title").fill("Anxiety and Sleep Plan")
    choose_diagnosis(page, "generalized anxiety", "F41.1")
    choose_diagnosis(page, "primary insomnia", "F51.01")
    # Enter in the search box searches; it does not submit the plan.
    page.get_by_label("Search diagnoses").fill("adjustment disorder with anxiety")
    page.get_by_label("Search diagnoses").press("Enter")
    expect(page.locator("#diagnosis-results").get_by_role("button", name=re.compile(r"^F43\.22\b"))).to_be_visible()
    assert not TreatmentPlan.objects.exists()
    page.get_by_role("button", name="Remove F51.01").click()
    expect(page.locator(".chips .chip-code", has_text="F51.01")).to_have_count(0)
    expect(page.get_by_label("Search diagnoses")).to_be_focused()
    choose_diagnosis(page, "primary insomnia", "F51.01")

    page.get_by_label("Presenting problem 1").fill("chronic worry")
    page.get_by_role("button", name="Add presenting problem").click()
    expect(page.get_by_label("Presenting problem 2")).to_be_focused()
    page.get_by_label("Presenting problem 2").fill("sleep difficulties")
    page.get_by_label("Review frequency (days)").fill("60")
    screenshot("builder-plan-form")
    assert_accessible(page)
    page.get_by_role("button", name="Save plan").click()

    expect(page.get_by_role("heading", level=1, name="Anxiety and Sleep Plan")).to_be_visible()
    plan = TreatmentPlan.objects.get(patient=patient)
    assert page.url.endswith(f"/plans/{plan.pk}/")
    assert [d["code"] for d in plan.diagnosis_codes] == ["F41.1", "F51.01"]
    assert plan.presenting_problems == ["chronic worry", "sleep difficulties"]
    assert plan.review_frequency_days == 60
    expect(page.get_by_text("Generalized anxiety disorder")).to_be_visible()

    # --- the goal tree, inline -----------------------------------------------------------------------
    page.get_by_role("link", name="Add long-term goal").click()
    form = page.locator("form.goal-form")
    hint = form.locator(".smart-hint")
    expect(hint).to_contain_text("Specific, Measurable, Achievable, Relevant, Time-bound")
    form.get_by_label("Description").fill(LONG_TERM)
    form.get_by_label("Measurable criteria").fill("GAD-7 score")
    form.get_by_label("Baseline value").fill("15")
    form.get_by_label("Target value", exact=True).fill("5")
    expect(hint).to_contain_text("still empty: Achievable, Relevant, Time-bound")
    form.get_by_text("SMART template").click()
    form.get_by_label("What resources are needed?").fill("Weekly CBT sessions")
    form.get_by_label("Why is this goal important?").fill("Worry keeps her from work")
    form.get_by_label("Target date").fill("2027-03-01")
    expect(hint).to_contain_text("all five parts")
    form.get_by_role("button", name="Save goal").click()
    expect(page.get_by_role("heading", name=LONG_TERM)).to_be_focused()

    add_goal(page, f"Add short-term goal under: {LONG_TERM}", SHORT_TERM, under=LONG_TERM)
    add_goal(page, f"Add objective under: {SHORT_TERM}", OBJECTIVE, under=SHORT_TERM, **{"Priority (1 = highest)": "2"})

    # An intervention from the library, with a modality filter and a frequency; then its rating.
    goal_action(page, OBJECTIVE, "link", f"Add intervention to: {OBJECTIVE}").click()
    picker = page.locator("section.intervention-picker")
    expect(picker.get_by_label("Search interventions")).to_be_focused()
    # Each change refreshes the results; wait for each, so the row below is the final one.
    with page.expect_response(lambda response: "q=breathing" in response.url):
        picker.get_by_label("Search interventions").fill("breathing")
    with page.expect_response(lambda response: "modality=behavioral" in response.url):
        picker.get_by_label("Modality").select_option(label="Behavioral")
    result = picker.locator("li.intervention-result", has_text="Deep Breathing")
    expect(result).to_be_visible()
    result.get_by_label("Frequency for Deep Breathing").fill("every session")
    result.get_by_role("button", name="Add Deep Breathing").click()
    card = page.get_by_role("article", name=OBJECTIVE, exact=True)
    expect(card.get_by_role("list", name="Interventions")).to_contain_text("Deep Breathing")
    card.get_by_role("link", name=f"Rate Deep Breathing for: {OBJECTIVE}").click()
    page.get_by_label("Effectiveness (1–5)").select_option("4")  # noqa: RUF001
    page.get_by_role("button", name="Save intervention").click()
    expect(card.get_by_role("list", name="Interventions")).to_contain_text("effectiveness 4/5")

    goals = {g.description: g for g in TreatmentGoal.objects.filter(plan=plan)}
    assert goals[SHORT_TERM].parent_goal == goals[LONG_TERM]
    assert goals[OBJECTIVE].parent_goal == goals[SHORT_TERM]
    assert goals[OBJECTIVE].priority == 2
    assert goals[LONG_TERM].smart == {
        "achievable": {"resources": "Weekly CBT sessions"},
        "relevant": {"importance": "Worry keeps her from work"},
    }
    link = GoalIntervention.objects.get(goal=goals[OBJECTIVE])
    assert (link.intervention.name, link.frequency, link.effectiveness_rating) == ("Deep Breathing", "every session", 4)

    # A second long-term goal, moved above the first.
    add_goal(page, "Add long-term goal", "Return to work three days a week", **{"Priority (1 = highest)": "2"})
    goal_action(page, "Return to work three days a week", "button", "Move up: Return to work").click()
    titles = page.locator("#goal-tree h3.goal-title")
    expect(titles.first).to_have_text("Return to work three days a week")
    expect(page.get_by_role("heading", name="Return to work three days a week")).to_be_focused()

    expect(page.locator(".overall-progress [role=progressbar]")).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_text("0%").first).to_be_visible()
    screenshot("builder-plan-page")
    assert_accessible(page)

    # Down to a tablet: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    expect(page.get_by_role("link", name="Add long-term goal")).to_be_visible()
    screenshot("builder-plan-page-tablet")
    assert AuditEvent.objects.filter(action="create", object_type="treatment.treatmentgoal", channel="web").count() == 4


def test_an_edit_conflict_keeps_the_typed_goal(page, sign_in, owner, patient):
    from accounts.audit import AuditContext
    from tests.factories import GoalFactory, PlanFactory
    from treatment.services import goal_update, progress_record

    plan = PlanFactory(patient=patient, title="Anxiety Management Plan")
    goal = GoalFactory(plan=plan, description="Reduce worry")
    progress_record(by=AuditContext.system("tests"), goal=goal, progress_note="Worry 4 hours a day", rating=3)
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    expand_goal(page, page.locator(f"#goal-{goal.pk}-card"))
    expect(page.locator(f"#goal-{goal.pk}-card svg[role=img]")).to_be_visible()
    assert_accessible(page)  # with a chart
    goal_action(page, "Reduce worry", "link", "Edit goal: Reduce worry").click()
    # Typing asks for the SMART hint; let that finish before the other save (SQLite shares one connection).
    with page.expect_response("**/goals/smart-hint/"):
        page.locator("form.goal-form").get_by_label("Description").fill("Reduce worry to two hours a day")
    goal_update(by=AuditContext.system("tests"), goal=goal, target_value="2 hours")  # someone else saves first

    page.get_by_role("button", name="Save goal").click()

    expect(page.get_by_role("alert")).to_contain_text("Someone else saved this goal first")
    expect(page.locator("form.goal-form").get_by_label("Description")).to_have_value("Reduce worry to two hours a day")
    assert_accessible(page)  # with the inline form and its alert
    goal.refresh_from_db()
    assert goal.description == "Reduce worry"
    page.get_by_role("button", name="Save goal").click()  # now a deliberate overwrite
    expect(page.get_by_role("heading", name="Reduce worry to two hours a day")).to_be_visible()


def test_without_javascript_the_builder_and_the_tree_still_work(browser, live_server, owner, patient, password):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(owner.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/patients/{patient.pk}/plans/new/")

        page.get_by_label("Title").fill("Plan without scripts")
        page.get_by_label("Search diagnoses").fill("generalized anxiety")
        page.get_by_role("button", name="Search", exact=True).click()
        page.get_by_role("button", name=re.compile(r"^F41\.1\b")).click()
        expect(page.locator(".chips .chip-code", has_text="F41.1")).to_be_visible()
        expect(page.get_by_label("Title")).to_have_value("Plan without scripts")
        page.get_by_label("Diagnosis codes (comma-separated)").fill("F51.01")
        page.get_by_label("Presenting problem 1").fill("chronic worry")
        page.get_by_role("button", name="Save plan").click()

        expect(page.get_by_role("heading", level=1, name="Plan without scripts")).to_be_visible()
        plan = TreatmentPlan.objects.get(patient=patient)
        assert [d["code"] for d in plan.diagnosis_codes] == ["F41.1", "F51.01"]

        page.get_by_role("link", name="Add long-term goal").click()
        expect(page.get_by_role("heading", level=1, name="New long-term goal")).to_be_visible()
        page.get_by_label("Description").fill(LONG_TERM)
        page.get_by_role("button", name="Save goal").click()
        expect(page.get_by_role("heading", name=LONG_TERM)).to_be_visible()
        assert page.url.endswith(f"/plans/{plan.pk}/#goal-{TreatmentGoal.objects.get(plan=plan).pk}")
        # The actions menu is a native disclosure: it opens without scripts, and its links are pages.
        goal_action(page, LONG_TERM, "link", f"Add short-term goal under: {LONG_TERM}").click()
        expect(page.get_by_role("heading", level=1, name="New short-term goal")).to_be_visible()
    finally:
        context.close()
