"""Administering a PHQ-9 on the session page with the keyboard only, and what it moves on the plan page.

Tab reaches each item's radio group, the arrow keys (or Space, for the first answer) choose, the live total and
band follow; Tab to "Record session" and Enter records the session and the score, and the plan page shows the
measure-driven objective's bar and chart moved. Every page of the feature is axe clean.
"""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import Page, expect

from accounts.audit import AuditContext
from tests.browser.axe import assert_accessible
from tests.browser.goal_menu import goal_action
from tests.factories import GoalFactory, PlanFactory
from treatment.models import Measurement, TreatmentGoal
from treatment.services.measures import measurement_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OBJECTIVE = "PHQ-9 below 5 by the end of treatment"


@pytest.fixture
def driven(patient, owner):
    """A plan whose objective is driven by the PHQ-9 (target 5), with a baseline score of 18 a month ago."""
    plan = PlanFactory(patient=patient, title="Depression care")
    long_term = GoalFactory(plan=plan, description="Lift the depression")
    short_term = GoalFactory(parent_goal=long_term, goal_type="short_term", description="Fewer low days")
    objective = GoalFactory(
        parent_goal=short_term,
        goal_type="objective",
        description=OBJECTIVE,
        measure_instrument="phq9",
        measure_target_score=5,
    )
    by = AuditContext.system("tests", user=owner)
    day = patient.practice.today() - datetime.timedelta(days=30)
    measurement_record(by=by, patient=patient, instrument="phq9", answers=[2] * 9, administered_on=day)
    return plan, TreatmentGoal.objects.get(pk=objective.pk)


def focused_name(page: Page) -> str:
    return page.evaluate(
        "() => (document.activeElement && (document.activeElement.name || document.activeElement.textContent)) || ''"
    )


def tab_to(page: Page, test, limit: int = 400) -> None:
    """Press Tab until the focused element passes `test` (a function of its name or text)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if test(focused_name(page).strip()):
            return
    raise AssertionError("Tab never reached the element")


def answer(page: Page, value: int) -> None:
    """Choose `value` in the radio group that has the focus (its first radio, none checked yet)."""
    if value == 0:
        page.keyboard.press("Space")
    for _ in range(value):
        page.keyboard.press("ArrowRight")


def objective_card(page: Page, objective: TreatmentGoal):
    return page.locator(f"#goal-{objective.pk}-card")


def test_a_phq9_administered_on_the_session_page_by_keyboard_moves_the_objective(
    page, sign_in, screenshot, owner, driven
):
    plan, objective = driven
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    card = objective_card(page, objective)
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    expect(card.locator(".score-chart svg circle")).to_have_count(1)
    assert_accessible(page)

    page.goto(f"/plans/{plan.pk}/sessions/new/")
    expect(page.get_by_text("PHQ-9 due", exact=True).first).to_be_visible()
    assert_accessible(page)
    total = page.locator("#measure-phq9-total")
    expect(total).to_have_text("PHQ-9: no item answered yet (total 0 of 27).")

    answers = [1, 1, 1, 1, 1, 1, 1, 0, 0]  # 7: mild
    tab_to(page, lambda name: name == "phq9_item_1")
    for number, value in enumerate(answers, start=1):
        answer(page, value)
        if number < len(answers):
            expect(total).to_have_text(f"PHQ-9 total so far {sum(answers[:number])} ({number} of 9 items answered).")
            page.keyboard.press("Tab")
            assert focused_name(page) == f"phq9_item_{number + 1}"
    expect(total).to_have_text("PHQ-9 total 7 of 27: mild (all 9 items answered).")
    screenshot("session-phq9-keyboard")

    tab_to(page, lambda name: name == "record")  # the "Record session" button
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/plans/{plan.pk}/")
    expect(page.get_by_text(re.compile(r"PHQ-9 recorded: 7 of 27 \(mild\)\."))).to_be_visible()
    measurement = Measurement.objects.get(session__isnull=False)
    assert (measurement.total_score, measurement.answers) == (7, answers)
    card = objective_card(page, objective)
    # 100 * (18 - 7) / (18 - 5) = 84.6: the bar moved from 0 to 85, the chart has its second score.
    expect(card.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "85")
    expect(card.locator(".score-chart svg circle")).to_have_count(2)
    page.locator(f"#goal-{objective.pk}-details > summary").click()
    expect(card.locator(".measure-facts")).to_contain_text("Baseline 18 Target 5 Current 7")
    screenshot("plan-objective-after-phq9")
    assert_accessible(page)

    # The session read back lists the measure given in it, linking to its result.
    page.goto(f"/sessions/{measurement.session_id}/")
    measures = page.locator("#session-measures")
    expect(measures.get_by_role("link", name="PHQ-9", exact=True)).to_have_attribute(
        "href", f"/measurements/{measurement.pk}/"
    )
    expect(measures.get_by_role("row", name=re.compile("PHQ-9 7 of 27 Mild None"))).to_be_visible()
    assert_accessible(page)


def test_the_standalone_page_the_safety_prompt_and_the_banner_are_accessible(page, sign_in, owner, patient, driven):
    sign_in(owner)
    page.goto(f"/patients/{patient.pk}/measures/phq9/new/")
    expect(page.get_by_text("Item 9 alone is not a suicide-risk screen", exact=False)).to_be_visible()
    assert_accessible(page)

    # Submitted with two items left out: the summary names them and keeps the answers given.
    for number in range(1, 8):
        page.locator(f"label[for=id_phq9_item_{number}_1]").click()
    page.get_by_role("button", name="Record the PHQ-9").click()
    expect(page.get_by_role("heading", name="The measure was not recorded")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("PHQ-9 item 8"))).to_be_visible()
    expect(page.locator("#id_phq9_item_1_1")).to_be_checked()
    assert_accessible(page)

    page.locator("label[for=id_phq9_item_8_1]").click()
    page.locator("label[for=id_phq9_item_9_1]").click()
    expect(page.locator("#measure-phq9-total")).to_have_text("PHQ-9 total 9 of 27: mild (all 9 items answered).")
    page.get_by_role("button", name="Record the PHQ-9").click()

    expect(page.get_by_role("heading", name="Safety flag raised: assess the risk now")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_role("heading", name="Safety flag: assess risk")).to_be_visible()
    flagged = Measurement.objects.get(total_score=9)
    expect(page.get_by_role("link", name=re.compile(r"PHQ-9 given .* \(total 9\)"))).to_have_attribute(
        "href", f"/measurements/{flagged.pk}/"
    )
    assert_accessible(page)
    page.get_by_role("link", name="Record the risk assessment").click()
    assert_accessible(page)
    page.get_by_label("Risk assessment").fill("Asked directly about thoughts of self-harm: none; safety plan reviewed.")
    page.get_by_role("button", name="Record the risk assessment").click()
    page.wait_for_url(f"**/patients/{patient.pk}/#safety-heading")
    expect(page.get_by_role("heading", name="Safety flag: assess risk")).to_have_count(0)
    # One assessment cleared both open flags (the baseline's item 9 was 2 as well); each keeps it in its history.
    expect(page.get_by_role("cell", name=re.compile("safety plan reviewed"))).to_have_count(2)
    assert_accessible(page)


def test_a_measure_is_set_on_a_new_objective_from_the_plan_page(page, sign_in, owner, driven):
    plan, _ = driven
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    goal_action(page, "Fewer low days", "link", "Add objective under: Fewer low days").click()
    form = page.locator("form.goal-form")
    form.get_by_label("Description").fill("GAD-7 below 5")
    form.get_by_label("Instrument").select_option("gad7")
    form.get_by_label("Baseline score").fill("16")
    form.get_by_label("Target score").fill("30")
    form.get_by_role("button", name="Save goal").click()

    # Refused by the goal service, shown in the form's error summary, with what was typed kept.
    expect(form.get_by_role("heading", name="The goal was not saved")).to_be_visible()
    expect(form.get_by_role("link", name="Target score")).to_be_visible()
    expect(form.get_by_label("Target score")).to_have_value("30")
    assert_accessible(page)

    form.get_by_label("Target score").fill("4")
    form.get_by_role("button", name="Save goal").click()
    expect(page.locator("form.goal-form")).to_have_count(0)
    expect(page.get_by_role("heading", name="GAD-7 below 5")).to_be_visible()
    goal = TreatmentGoal.objects.get(description="GAD-7 below 5")
    assert (goal.measure_instrument, goal.measure_baseline_score, goal.measure_target_score) == ("gad7", 16, 4)
    assert_accessible(page)
