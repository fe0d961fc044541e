"""Recording a session in a real browser, counting the therapist's interactions from the script's own actions.

The count (issue 12): a click, a key press that is not typing text, a select, each field filled counts 1;
typing the three notes is 3. A 3-goal session with one delivered intervention takes 10: open the page,
the session note, per goal its note and a one-click rating, the intervention, record. The next session
shows each goal's last note and rating and repeats the interventions in one click: 9.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.axe import assert_accessible
from tests.factories import GoalFactory, PlanFactory, intervention
from treatment.models import GoalProgress, SessionIntervention, TherapySession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANXIETY = "Reduce anxiety to a manageable level"
SLEEP = "Sleep at least seven hours a night"
WORK = "Return to full-time work"
RATING = "Rating (1–10) for {}"  # noqa: RUF001 (the en dash of a range)


class Counted:
    """The page's actions, each counted as one interaction; typing a note into a field is one fill."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0

    def click(self, target: Locator) -> None:
        target.click()
        self.count += 1

    def fill(self, target: Locator, text: str) -> None:
        target.fill(text)
        self.count += 1

    def check(self, target: Locator) -> None:
        target.check()
        self.count += 1

    def select(self, target: Locator, value: str) -> None:
        target.select_option(value)
        self.count += 1

    def press(self, target: Locator, key: str) -> None:
        target.press(key)
        self.count += 1


@pytest.fixture
def three_goals(patient):
    """A plan of three goals; two have an intervention linked (one of them is delivered)."""
    plan = PlanFactory(patient=patient, title="Anxiety and sleep")
    goals = {
        ANXIETY: GoalFactory(
            plan=plan, description=ANXIETY, interventions=[{"intervention": intervention("Deep Breathing")}]
        ),
        SLEEP: GoalFactory(
            plan=plan, description=SLEEP, priority=2, interventions=[{"intervention": intervention("Sleep Hygiene")}]
        ),
        WORK: GoalFactory(plan=plan, description=WORK, priority=3),
    }
    return plan, goals


def rating(page: Page, goal: str, value: int) -> Locator:
    """The segment of a goal's rating control (a radio's label: what a pointer clicks)."""
    return page.get_by_role("group", name=RATING.format(goal)).get_by_text(str(value), exact=True)


def test_a_three_goal_session_takes_10_interactions_and_the_next_one_9(page, sign_in, screenshot, owner, three_goals):
    plan, goals = three_goals
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    you = Counted(page)

    # --- the first session: 10 interactions -------------------------------------------------------
    you.click(page.get_by_role("link", name="Record session"))
    expect(page.get_by_role("heading", level=1, name="Record a session")).to_be_visible()
    # Pre-filled: today at the practice, 50 minutes, the clinician is the user (no choice offered).
    expect(page.get_by_label("Session date")).to_have_value(plan.patient.practice.today().isoformat())
    expect(page.get_by_label("Duration (minutes)")).to_have_value("50")
    expect(page.get_by_label("Therapist who held the session")).to_have_count(0)
    you.fill(page.get_by_label("Session notes"), "Reviewed the week; practised breathing together.")
    notes = {
        ANXIETY: "Used breathing twice at work.",
        SLEEP: "Five to six hours most nights.",
        WORK: "Back two days a week.",
    }
    ratings = {ANXIETY: 6, SLEEP: 4, WORK: 5}
    for goal in (ANXIETY, SLEEP, WORK):
        you.fill(page.get_by_label(f"Progress note for {goal}"), notes[goal])
        you.click(rating(page, goal, ratings[goal]))
        # The goal shows as addressed: what was written for it counts, no separate tick.
        expect(page.get_by_label(goal, exact=True)).to_be_checked()
    you.check(page.get_by_role("group", name=f"Interventions delivered for {ANXIETY}").get_by_label("Deep Breathing"))
    you.click(page.get_by_role("button", name="Record session"))

    expect(page.get_by_role("status")).to_contain_text("Session recorded — progress updated on 3 goals")
    assert you.count == 10
    first = TherapySession.objects.get(plan=plan)
    assert first.therapist == owner
    assert first.notes == "Reviewed the week; practised breathing together."
    assert set(first.goals_addressed.all()) == set(goals.values())
    entries = {e.goal_id: (e.progress_note, e.rating) for e in GoalProgress.objects.filter(session=first)}
    assert entries == {goals[g].pk: (notes[g], ratings[g]) for g in goals}
    assert list(SessionIntervention.objects.filter(session=first).values_list("intervention__name", "goal")) == [
        ("Deep Breathing", goals[ANXIETY].pk)
    ]

    # --- the next session carries the last one forward: 9 interactions ------------------------------
    you.count = 0
    you.click(page.get_by_role("link", name="Record session"))
    today = first.session_date
    for goal in goals:
        last = (
            page.get_by_role("listitem").filter(has=page.get_by_label(goal, exact=True)).locator(".session-goal-last")
        )
        expect(last).to_have_text(
            re.compile(rf"Last time, {today.day} {today:%b %Y} · rated {ratings[goal]}/10:\s+{re.escape(notes[goal])}")
        )
    delivered = page.get_by_role("group", name=f"Interventions delivered for {ANXIETY}").get_by_label("Deep Breathing")
    expect(delivered).not_to_be_checked()
    you.click(page.get_by_role("button", name="Same interventions as last time"))
    expect(delivered).to_be_checked()
    expect(page.get_by_role("status").filter(has_text="from the last session")).to_have_text(
        "Ticked 1 intervention from the last session."
    )
    for goal, value in ((ANXIETY, 7), (SLEEP, 5), (WORK, 6)):
        you.fill(page.get_by_label(f"Progress note for {goal}"), f"Better this week ({value}).")
        you.click(rating(page, goal, value))
    screenshot("session-recording")
    assert_accessible(page)
    you.click(page.get_by_role("button", name="Record session"))

    expect(page.get_by_role("status")).to_contain_text("Session recorded — progress updated on 3 goals")
    assert you.count == 9
    second = TherapySession.objects.exclude(pk=first.pk).get(plan=plan)
    assert {e.goal_id: e.rating for e in GoalProgress.objects.filter(session=second)} == {
        goals[ANXIETY].pk: 7,
        goals[SLEEP].pk: 5,
        goals[WORK].pk: 6,
    }
    assert list(SessionIntervention.objects.filter(session=second).values_list("intervention__name", "goal")) == [
        ("Deep Breathing", goals[ANXIETY].pk)
    ]


def test_the_session_is_recorded_with_the_keyboard_alone(page, sign_in, owner, three_goals):
    """Tab to a rating, the arrow keys choose it; Space ticks an intervention; Enter on the button records."""
    plan, goals = three_goals
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/sessions/new/")
    note = page.get_by_label(f"Progress note for {ANXIETY}")
    note.focus()
    page.keyboard.type("Calmer this week.")
    page.keyboard.press("Tab")  # the value
    page.keyboard.press("Tab")  # the rating group, at "not rated"
    expect(
        page.get_by_role("group", name=RATING.format(ANXIETY)).get_by_role("radio", name="Not rated")
    ).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(
        page.get_by_role("group", name=RATING.format(ANXIETY)).get_by_role("radio", name="3", exact=True)
    ).to_be_checked()
    page.keyboard.press("Tab")  # the intervention
    page.keyboard.press("Space")
    page.get_by_role("button", name="Record session").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_contain_text("Session recorded — progress updated on 1 goal")
    session = TherapySession.objects.get(plan=plan)
    assert list(GoalProgress.objects.filter(session=session).values_list("goal", "progress_note", "rating")) == [
        (goals[ANXIETY].pk, "Calmer this week.", 3)
    ]
    assert list(session.session_interventions.values_list("intervention__name", flat=True)) == ["Deep Breathing"]


def test_a_goal_ticked_with_nothing_recorded_is_asked_once(page, sign_in, screenshot, owner, three_goals):
    plan, goals = three_goals
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/sessions/new/")
    page.get_by_label("Session notes").fill("Talked about the return to work.")
    page.get_by_label(WORK, exact=True).check()
    page.get_by_role("button", name="Record session").click()

    question = page.get_by_role("alert").filter(has_text="Check before recording")
    expect(question).to_be_focused()
    expect(question).to_contain_text(f"“{WORK}” is marked as addressed, but nothing is recorded for it")
    expect(page.get_by_label("Session notes")).to_have_value("Talked about the return to work.")
    expect(page.get_by_label(WORK, exact=True)).to_be_checked()
    assert not TherapySession.objects.exists()
    screenshot("session-recording-check")
    assert_accessible(page)
    page.get_by_role("button", name="Record anyway").click()

    expect(page.get_by_role("status")).to_contain_text("Session recorded — progress updated on 0 goals")
    assert list(TherapySession.objects.get(plan=plan).goals_addressed.all()) == [goals[WORK]]
