"""The patient page's treatment panels (`{% patient_plans patient user %}`): the patient's plans, active first,
with status, overall progress and review status; the recent sessions; "Start a plan" for those who may
change the patient. Only what the user may see, every row audited, and a constant number of queries.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.factories import GoalFactory, PatientFactory, PlanFactory
from tests.support import shown
from treatment.models import TherapySession
from treatment.services import plan_update, session_record

pytestmark = pytest.mark.django_db

SYSTEM = AuditContext.system("tests")


def page(client, patient):
    response = client.get(f"/patients/{patient.pk}/")
    assert response.status_code == 200
    return response, response.content.decode()


def record(patient, plan=None, days_ago=1, goals=(), duration=50):
    return session_record(
        by=SYSTEM,
        patient=patient,
        plan=plan,
        session_date=patient.practice.today() - datetime.timedelta(days=days_ago),
        duration_minutes=duration,
        goals=list(goals),
        # Goals addressed with nothing recorded: the panels list them (the service asks to confirm it).
        confirmed=True,
    )


@pytest.fixture
def plans(patient, practice):
    """An active, an on-hold, a completed and a second active plan (newer), with distinct review states."""
    today = practice.today()
    active = PlanFactory(
        patient=patient,
        title="Anxiety Management Plan",
        start_date=today - datetime.timedelta(days=100),
        next_review_date=today - datetime.timedelta(days=3),
    )
    newer = PlanFactory(
        patient=patient,
        title="Sleep Plan",
        start_date=today - datetime.timedelta(days=10),
        next_review_date=today + datetime.timedelta(days=40),
    )
    on_hold = PlanFactory(patient=patient, title="Work Return Plan", start_date=today - datetime.timedelta(days=200))
    plan_update(by=SYSTEM, plan=on_hold, status="on_hold", next_review_date=today + datetime.timedelta(days=3))
    completed = PlanFactory(patient=patient, title="Grief Plan", start_date=today - datetime.timedelta(days=20))
    plan_update(by=SYSTEM, plan=completed, status="completed", status_reason="Closed in a test.")
    return {"active": active, "newer": newer, "on_hold": on_hold, "completed": completed}


def test_plans_are_listed_active_then_on_hold_then_closed(client, owner, patient, plans):
    client.force_login(owner)

    _, html = page(client, patient)

    titles = ["Sleep Plan", "Anxiety Management Plan", "Work Return Plan", "Grief Plan"]
    positions = [html.index(f">{t}<") for t in titles]
    assert positions == sorted(positions)
    panel = html[html.index('id="plans-heading"') : html.index('id="sessions-heading"')]
    for status in ("Active", "On hold", "Completed"):
        assert status in panel


def test_each_plan_shows_progress_review_status_and_links_to_its_page(client, owner, patient, plans, practice):
    plan = plans["active"]
    goal = GoalFactory(plan=plan, description="Reduce anxiety")
    from treatment.services import progress_record

    progress_record(by=SYSTEM, goal=goal, progress_note="Better", rating=6)
    client.force_login(owner)

    _, html = page(client, patient)

    assert f'href="/plans/{plan.pk}/"' in html
    assert re.search(r'aria-valuenow="60"', html)
    assert "Overall progress 60%" in html
    today = practice.today()
    # Overdue, due soon and current, each with its date; a closed plan needs no review.
    assert re.search(
        r"Review: Overdue</span>\s*<span class=\"muted\">due " + shown(today - datetime.timedelta(days=3)), html
    )
    assert re.search(
        r"Review: Due soon</span>\s*<span class=\"muted\">due " + shown(today + datetime.timedelta(days=3)), html
    )
    assert re.search(
        r"Review: Current</span>\s*<span class=\"muted\">due " + shown(today + datetime.timedelta(days=40)), html
    )
    assert "Review: Not required (plan closed)" in html


def test_recent_sessions_show_date_duration_plan_and_goals_addressed(client, owner, patient, plans, practice):
    plan = plans["active"]
    a, b = GoalFactory(plan=plan), GoalFactory(plan=plan)
    record(patient, plan, days_ago=2, goals=[a, b], duration=45)
    record(patient, None, days_ago=9, duration=30)
    other = PatientFactory(primary_therapist=owner, first_name="Noah", last_name="Reyes")
    record(other, None, days_ago=1, duration=77)
    client.force_login(owner)

    _, html = page(client, patient)

    sessions = html[html.index('id="sessions-heading"') :]
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", sessions, re.S)
    today = practice.today()
    text = [tuple(re.sub(r"<[^>]+>", "", cell).strip() for cell in row) for row in rows]
    assert text == [
        (f"Session on {shown(today - datetime.timedelta(days=2))}", "45 min", "Anxiety Management Plan", "2"),
        (f"Session on {shown(today - datetime.timedelta(days=9))}", "30 min", "No plan", "0"),
    ]
    # Each date opens the session it names.
    sessions_shown = TherapySession.objects.filter(patient=patient).order_by("-session_date")
    assert [re.search(r'href="([^"]+)"', row[0]).group(1) for row in rows] == [
        reverse("session-detail", args=[s.pk]) for s in sessions_shown
    ]
    assert "77 min" not in html


def test_only_the_latest_ten_sessions_are_listed(client, owner, patient):
    for days_ago in range(1, 13):
        record(patient, days_ago=days_ago, duration=days_ago + 20)
    client.force_login(owner)

    response, html = page(client, patient)

    assert len(response.context["sessions"]) == 10
    assert "21 min" in html and "30 min" in html
    assert "31 min" not in html and "32 min" not in html


@pytest.mark.parametrize(
    ("role", "button"),
    [("owner", True), ("supervisor", False), ("practice_admin", True)],
)
def test_start_a_plan_is_offered_to_those_who_may_change_the_patient(client, cast, patient, role, button):
    client.force_login(cast[role])

    _, html = page(client, patient)

    assert ("Start a plan" in html) is button
    if button:
        assert f'href="/patients/{patient.pk}/plans/new/"' in html


def test_empty_panels_say_so(client, owner, patient):
    client.force_login(owner)

    _, html = page(client, patient)

    assert "No treatment plan yet." in html
    assert "No session recorded yet." in html


@pytest.mark.parametrize("role", ["supervisor", "practice_admin"])
def test_others_who_may_see_the_patient_see_the_plans(client, cast, patient, plans, role):
    record(patient, plans["active"])
    client.force_login(cast[role])

    response, html = page(client, patient)

    assert "Anxiety Management Plan" in html
    assert len(response.context["sessions"]) == 1


def test_every_plan_and_session_shown_is_audited(client, owner, patient, plans):
    sessions = [record(patient, plans["active"], days_ago=d) for d in (1, 2)]
    client.force_login(owner)
    before = AuditEvent.objects.count()

    page(client, patient)

    viewed = AuditEvent.objects.filter(action="view", user=owner, channel="web", patient=patient)
    assert set(viewed.filter(object_type="treatment.treatmentplan").values_list("object_id", flat=True)) == {
        str(p.pk) for p in plans.values()
    }
    assert set(viewed.filter(object_type="treatment.therapysession").values_list("object_id", flat=True)) == {
        str(s.pk) for s in sessions
    }
    # The patient itself, four plans and two sessions.
    assert AuditEvent.objects.count() - before == 1 + 4 + 2


def test_the_panels_cost_the_same_queries_however_many_plans_and_sessions(client, owner, patient, practice):
    client.force_login(owner)
    first = PlanFactory(patient=patient, title="First plan")
    record(patient, first, goals=[GoalFactory(plan=first)])
    page(client, patient)  # warm the session

    with CaptureQueriesContext(connection) as small:
        page(client, patient)
    for i in range(5):
        plan = PlanFactory(patient=patient, title=f"Plan {i}")
        goals = [GoalFactory(plan=plan) for _ in range(3)]
        record(patient, plan, days_ago=i + 2, goals=goals)
        record(patient, None, days_ago=i + 3)
    with CaptureQueriesContext(connection) as large:
        response, _ = page(client, patient)

    assert len(response.context["plans"]) == 6
    assert len(response.context["sessions"]) == 10
    assert len(large.captured_queries) == len(small.captured_queries)
