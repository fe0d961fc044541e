"""The plan page's goal rows, as a person uses them: each goal's actions sit in one "Actions" menu and its
details (criteria, values, SMART, chart, interventions) in a disclosure under its row."""

from playwright.sync_api import Locator, Page, expect


def goal_action(page: Page, goal: str, role: str, name: str) -> Locator:
    """Open the actions menu of the goal described `goal` and answer its action `name` (a link or a button)."""
    page.locator(f'summary[aria-label="Actions for: {goal}"]').click()
    action = page.get_by_role(role, name=name)  # type: ignore[arg-type]
    expect(action).to_be_visible()
    return action


def expand_goal(page: Page, card: Locator) -> None:
    """Open a goal's details under its row (`card` is its article)."""
    card.locator("details.goal-details > summary").click()
    expect(card.locator("details.goal-details")).to_have_attribute("open", "")
