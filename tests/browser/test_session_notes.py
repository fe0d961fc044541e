"""Reading a session again in a real browser: from the plan page a therapist opens last week's session, reads its
notes and each goal's progress note, adds an addendum and sees it under the original; then the goal's history.
axe finds no WCAG 2.1 A/AA violation on the session page (with the form's error too) and the goal history page.
Screenshots: "session-detail", "goal-history" (tests/screenshots/).
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from accounts.audit import AuditContext
from tests.browser.axe import assert_accessible
from tests.factories import intervention, make_tree
from tests.support import shown
from treatment.models import SessionAddendum
from treatment.services import session_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTES = "Arrived tense after a difficult week at work; reviewed the worry log together."
PROGRESS_NOTE = "Practised deep breathing on five of seven days."
ADDENDUM = "Correction: the client practised on four days, not five."


@pytest.fixture
def last_week(owner, plan):
    tree = make_tree(plan)
    objective = tree["objective"]
    session = session_record(
        by=AuditContext.system("tests", user=owner),
        patient=plan.patient,
        plan=plan,
        session_date=plan.patient.practice.today() - datetime.timedelta(days=7),
        duration_minutes=50,
        notes=NOTES,
        goals=[objective],
        interventions=[{"intervention": intervention("Deep Breathing"), "goal": objective}],
        progress=[{"goal": objective, "progress_note": PROGRESS_NOTE, "progress_value": "5 days", "rating": 6}],
    )
    return {"session": session, "goal": objective}


def test_a_therapist_rereads_last_weeks_session_and_corrects_it(page, sign_in, screenshot, owner, plan, last_week):
    session = last_week["session"]
    sign_in(owner)
    page.goto(plan.get_absolute_url())

    # --- from the plan page's recent sessions to the session -----------------------------------------
    recent = page.get_by_role("region", name="Recent sessions")
    recent.get_by_role("link", name=f"Session on {shown(session.session_date)}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Session on {shown(session.session_date)}")
    record = page.get_by_role("region", name="Session record")
    expect(record).to_contain_text(NOTES)
    expect(record).to_contain_text("50 min")
    goals = page.get_by_role("region", name="Goals addressed")
    expect(goals).to_contain_text(PROGRESS_NOTE)
    expect(goals).to_contain_text("6/10")
    expect(goals).to_contain_text("5 days")
    expect(goals).to_contain_text("Deep Breathing")
    assert_accessible(page)

    # --- an empty addendum is refused with the error linked from the summary ---------------------------
    addenda = page.get_by_role("region", name="Addenda")
    addenda.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_role("alert")).to_contain_text("The addendum was not added.")
    page.get_by_role("alert").get_by_role("link", name="Addendum").click()
    expect(page.get_by_label("Addendum")).to_be_focused()
    assert_accessible(page)
    assert not SessionAddendum.objects.exists()

    # --- the correction, appended under the original --------------------------------------------------
    page.get_by_label("Addendum").fill(ADDENDUM)
    page.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_role("status")).to_contain_text("The addendum was added")
    addenda = page.get_by_role("region", name="Addenda")
    expect(addenda.get_by_role("listitem")).to_have_count(1)
    expect(addenda.get_by_role("listitem")).to_contain_text(ADDENDUM)
    expect(addenda.get_by_role("listitem")).to_contain_text(f"Addendum by {owner}")
    expect(page.get_by_role("region", name="Goals addressed")).to_contain_text(PROGRESS_NOTE)  # the original stands
    record_box = page.get_by_role("region", name="Session record").bounding_box()
    addenda_box = addenda.bounding_box()
    assert record_box["y"] < addenda_box["y"], "the addendum is shown under the original"
    assert_accessible(page)
    screenshot("session-detail")

    # --- the goal's history, and back to the session from it -------------------------------------------
    page.get_by_role("link", name="History of this goal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Progress history")
    expect(page.get_by_role("main")).to_contain_text(PROGRESS_NOTE)
    assert_accessible(page)
    screenshot("goal-history")
    page.get_by_role("link", name=re.compile(r"^Session on ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Session on {shown(session.session_date)}")
