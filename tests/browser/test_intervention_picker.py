"""The intervention picker in a real browser: for an objective, the interventions of the goals above it come first,
labelled; "sleep" lists the sleep interventions first; Next reaches the last entry of the library in place (htmx).
axe finds no WCAG A/AA violation on the picker.
"""

import pytest
from playwright.sync_api import expect

from accounts.audit import AuditContext
from tests.browser.axe import assert_accessible
from tests.browser.goal_menu import goal_action
from tests.factories import intervention
from treatment.services import goal_intervention_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_picker_offers_the_parents_interventions_ranks_and_pages(page, sign_in, screenshot, owner, plan, tree):
    goal_intervention_add(
        by=AuditContext.system("tests", user=owner),
        goal=tree["short_term"],
        intervention=intervention("Progressive Muscle Relaxation"),
        frequency="twice a week",
    )
    objective = tree["objective"]
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    goal_action(page, objective.description, "link", f"Add intervention to: {objective.description}").click()
    picker = page.locator("section.intervention-picker")

    inherited = picker.get_by_role("list", name="From the goals above this one")
    expect(inherited.locator(".intervention-name")).to_have_text(["Progressive Muscle Relaxation"])
    expect(inherited.get_by_label("Frequency for Progressive Muscle Relaxation")).to_have_value("twice a week")
    screenshot("intervention-picker")
    assert_accessible(page)

    with page.expect_response(lambda response: "q=sleep" in response.url):
        picker.get_by_label("Search interventions").fill("sleep")
    expect(picker.locator(".intervention-result-list").last.locator(".intervention-name").first).to_have_text(
        "Sleep Hygiene"
    )

    with page.expect_response(lambda response: "q=" in response.url and "sleep" not in response.url):
        picker.get_by_label("Search interventions").fill("")
    for number in (2, 3):
        picker.get_by_role("link", name="Next matches").click()
        expect(picker.get_by_text(f"Page {number} of 3")).to_be_visible()
    expect(picker.get_by_text("51–54 of 54 matches")).to_be_visible()  # noqa: RUF001
    expect(picker.locator(".intervention-name").last).to_have_text("Written Exposure Therapy")
    assert_accessible(page)
