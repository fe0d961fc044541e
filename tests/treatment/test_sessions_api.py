"""Session-intervention mapping (the spec's testing checklist): POST/GET /api/v1/patients/{id}/sessions,
GET /api/v1/sessions and GET /api/v1/sessions/{id}.

A session records the goals it addressed, the interventions delivered (each for a goal or none) and the
progress observed, all in one transaction: any bad part answers 400 naming it and nothing at all is
written. Progress from an earlier session is dated to that session's day in the practice's time zone, the
goals and the plan roll up, and every write and read is audited. Access follows the patient.
"""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from interventions.models import Intervention
from tests.factories import GoalFactory, PatientFactory, PlanFactory, UserFactory, intervention
from treatment.models import GoalProgress, SessionIntervention, TherapySession, TreatmentGoal, TreatmentPlan
from treatment.services import goal_update, plan_update, session_record

pytestmark = pytest.mark.django_db

SYSTEM = AuditContext.system("tests")


def local_today(practice) -> datetime.date:
    """Today on the practice's calendar (it can differ from the server's UTC date)."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()


@pytest.fixture
def today(practice):
    return local_today(practice)


@pytest.fixture
def goals(plan, tree):
    """The conftest tree plus a second long-term goal (priority 2, a leaf) and a discontinued one."""
    sleep = GoalFactory(plan=plan, description="Sleep at least 7 hours a night", priority=2)
    dropped = GoalFactory(plan=plan, description="Return to full-time work", priority=3)
    goal_update(by=SYSTEM, goal=dropped, status="discontinued")
    return {**tree, "sleep": sleep, "dropped": dropped}


@pytest.fixture
def other_patient(owner):
    return PatientFactory(primary_therapist=owner, first_name="Noah", last_name="Reyes")


def url_for(patient):
    return f"/api/v1/patients/{patient.pk}/sessions"


def full_body(goals, session_date, **extra):
    """Two goals' progress, two interventions; goal_ids names only the long-term goal."""
    objective, sleep = goals["objective"], goals["sleep"]
    return {
        "session_date": session_date.isoformat(),
        "duration_minutes": 50,
        "notes": "Reviewed the breathing log; introduced a wind-down routine.",
        "goal_ids": [str(goals["long_term"].pk)],
        "interventions": [
            {"intervention_id": str(intervention("Deep Breathing").pk), "goal_id": str(objective.pk)},
            {"intervention_id": str(intervention("Sleep Hygiene").pk), "goal_id": str(sleep.pk)},
        ],
        "progress": [
            {
                "goal_id": str(objective.pk),
                "progress_note": "Practised deep breathing daily; used it twice when anxious.",
                "progress_value": "1 technique learned",
                "rating": 7,
            },
            {
                "goal_id": str(sleep.pk),
                "progress_note": "Sleeping about five hours; racing thoughts at bedtime.",
                "progress_value": "5 hours",
                "rating": 4,
            },
        ],
        **extra,
    }


def goal_state():
    return {g.pk: (g.status, g.progress_percentage, g.current_value, g.updated_at) for g in TreatmentGoal.objects.all()}


def written_state():
    """Everything a session POST may write; a refused POST must leave all of it as it was."""
    return {
        "sessions": TherapySession.objects.count(),
        "links": SessionIntervention.objects.count(),
        "progress": GoalProgress.objects.count(),
        "goals": goal_state(),
        "plans": dict(TreatmentPlan.objects.values_list("pk", "overall_progress")),
        "audit_writes": AuditEvent.objects.filter(action="create").count(),
    }


def error_keys(response) -> set[str]:
    return set(response.json())


# --- recording a session -----------------------------------------------------------------------


def test_record_a_session_with_goals_interventions_and_progress(api, owner, patient, plan, goals, today):
    session_date = today - datetime.timedelta(days=7)

    response = api.as_(owner).post(url_for(patient), full_body(goals, session_date), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    session = TherapySession.objects.get()
    assert body["id"] == str(session.pk)
    assert body["patient_id"] == str(patient.pk)
    assert body["plan_id"] == str(plan.pk)  # inferred from the goals
    assert body["session_date"] == session_date.isoformat()
    assert body["duration_minutes"] == 50
    assert body["therapist"]["id"] == str(owner.pk)
    # Goals named only by an intervention or a progress entry were addressed too.
    addressed = {str(goals[k].pk) for k in ("long_term", "objective", "sleep")}
    assert set(body["goal_ids"]) == addressed
    assert {(d["intervention_id"], d["goal_id"]) for d in body["interventions_delivered"]} == {
        (str(intervention("Deep Breathing").pk), str(goals["objective"].pk)),
        (str(intervention("Sleep Hygiene").pk), str(goals["sleep"].pk)),
    }
    assert {d["intervention_name"] for d in body["interventions_delivered"]} == {"Deep Breathing", "Sleep Hygiene"}
    entries = {e["goal_id"]: e for e in body["progress_entries"]}
    assert set(entries) == {str(goals["objective"].pk), str(goals["sleep"].pk)}
    assert all(e["session_id"] == str(session.pk) for e in entries.values())
    assert entries[str(goals["objective"].pk)]["rating"] == 7
    assert entries[str(goals["sleep"].pk)]["progress_value"] == "5 hours"
    assert all(e["recorded_by"]["id"] == str(owner.pk) for e in entries.values())

    # The database: one session, its links, its progress, the goals and the plan rolled up.
    assert session.patient == patient
    assert session.plan == plan
    assert session.therapist == owner
    assert session.session_date == session_date
    assert session.duration_minutes == 50
    assert session.notes.startswith("Reviewed the breathing log")
    assert {str(g.pk) for g in session.goals_addressed.all()} == addressed
    assert set(SessionIntervention.objects.filter(session=session).values_list("intervention__name", "goal")) == {
        ("Deep Breathing", goals["objective"].pk),
        ("Sleep Hygiene", goals["sleep"].pk),
    }
    progress = GoalProgress.objects.filter(session=session)
    assert progress.count() == GoalProgress.objects.count() == 2
    assert set(progress.values_list("goal", "rating", "progress_value", "recorded_by")) == {
        (goals["objective"].pk, 7, "1 technique learned", owner.pk),
        (goals["sleep"].pk, 4, "5 hours", owner.pk),
    }

    objective = TreatmentGoal.objects.get(pk=goals["objective"].pk)
    sleep = TreatmentGoal.objects.get(pk=goals["sleep"].pk)
    short_term = TreatmentGoal.objects.get(pk=goals["short_term"].pk)
    long_term = TreatmentGoal.objects.get(pk=goals["long_term"].pk)
    assert (objective.status, objective.progress_percentage, objective.current_value) == (
        "in_progress",
        70,
        "1 technique learned",
    )
    assert (sleep.status, sleep.progress_percentage, sleep.current_value) == ("in_progress", 40, "5 hours")
    assert (short_term.status, short_term.progress_percentage) == ("in_progress", 70)
    assert (long_term.status, long_term.progress_percentage) == ("in_progress", 70)
    # Long-term goals 70% (priority 1) and 40% (priority 2), the discontinued one left out:
    # (70 * 1 + 40 * 0.5) / 1.5 = 60.
    plan.refresh_from_db()
    assert plan.overall_progress == 60


def test_progress_of_a_past_session_is_dated_to_the_session_day(api, owner, patient, practice, goals, today):
    session_date = today - datetime.timedelta(days=12)

    response = api.as_(owner).post(url_for(patient), full_body(goals, session_date), format="json")

    assert response.status_code == 201, response.content
    tz = zoneinfo.ZoneInfo(practice.time_zone)
    for entry in response.json()["progress_entries"]:
        recorded = datetime.datetime.fromisoformat(entry["recorded_at"].replace("Z", "+00:00"))
        assert recorded.astimezone(tz).date() == session_date
    stored = list(GoalProgress.objects.all())
    assert len(stored) == 2
    assert all(e.recorded_at.astimezone(tz).date() == session_date for e in stored)
    # A goal's history shows the entry on the session's day.
    history = api.as_(owner).get(f"/api/v1/goals/{goals['objective'].pk}/history").json()
    assert [datetime.datetime.fromisoformat(h["recorded_at"]).astimezone(tz).date() for h in history] == [session_date]


def test_a_late_recorded_past_session_does_not_overrule_newer_progress(api, owner, patient, goals, today):
    """Entered late, an older session's rating joins the history but the goal keeps its latest figure."""
    objective = goals["objective"]
    newer = api.as_(owner).post(
        f"/api/v1/goals/{objective.pk}/progress",
        {"progress_note": "Uses breathing without prompting.", "progress_value": "2 techniques", "rating": 9},
        format="json",
    )
    assert newer.status_code == 201, newer.content

    response = api.as_(owner).post(
        url_for(patient), full_body(goals, today - datetime.timedelta(days=20)), format="json"
    )

    assert response.status_code == 201, response.content
    objective.refresh_from_db()
    assert (objective.progress_percentage, objective.current_value) == (90, "2 techniques")
    sleep = TreatmentGoal.objects.get(pk=goals["sleep"].pk)
    assert (sleep.progress_percentage, sleep.current_value) == (40, "5 hours")
    history = api.as_(owner).get(f"/api/v1/goals/{objective.pk}/history").json()
    assert [h["rating"] for h in history] == [7, 9]  # oldest first: the session's entry predates the other


def test_progress_of_todays_session_is_recorded_now(api, owner, patient, practice, goals, today):
    before = timezone.now()

    response = api.as_(owner).post(url_for(patient), full_body(goals, today), format="json")

    assert response.status_code == 201, response.content
    tz = zoneinfo.ZoneInfo(practice.time_zone)
    for entry in GoalProgress.objects.all():
        assert before <= entry.recorded_at <= timezone.now()
        assert entry.recorded_at.astimezone(tz).date() == today


def test_a_session_with_an_explicit_plan(api, owner, patient, plan, goals, today):
    body = full_body(goals, today - datetime.timedelta(days=1), plan_id=str(plan.pk))

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["plan_id"] == str(plan.pk)
    assert TherapySession.objects.get().plan == plan


def test_a_session_without_goals_or_plan(api, owner, patient, today):
    body = {
        "session_date": (today - datetime.timedelta(days=2)).isoformat(),
        "duration_minutes": 45,
        "interventions": [{"intervention_id": str(intervention("Psychoeducation").pk)}],
    }

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 201, response.content
    session = TherapySession.objects.get()
    assert response.json()["plan_id"] is None
    assert response.json()["goal_ids"] == []
    assert response.json()["progress_entries"] == []
    assert session.plan is None
    assert list(SessionIntervention.objects.values_list("intervention__name", "goal")) == [("Psychoeducation", None)]


def test_an_intervention_repeated_for_the_same_goal_is_recorded_once(api, owner, patient, goals, today):
    breathing = str(intervention("Deep Breathing").pk)
    objective = str(goals["objective"].pk)
    body = {
        "session_date": (today - datetime.timedelta(days=1)).isoformat(),
        "duration_minutes": 50,
        "interventions": [
            {"intervention_id": breathing, "goal_id": objective},
            {"intervention_id": breathing, "goal_id": objective},
            {"intervention_id": breathing, "goal_id": str(goals["sleep"].pk)},
        ],
    }

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 201, response.content
    assert len(response.json()["interventions_delivered"]) == 2
    assert SessionIntervention.objects.count() == 2


@pytest.mark.parametrize("duration", [1, 600])
def test_duration_bounds_are_accepted(api, owner, patient, today, duration):
    body = {"session_date": (today - datetime.timedelta(days=1)).isoformat(), "duration_minutes": duration}

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 201, response.content
    assert TherapySession.objects.get().duration_minutes == duration


def test_a_practice_admin_records_for_the_primary_therapist(api, practice_admin, owner, patient, goals, today):
    response = api.as_(practice_admin).post(
        url_for(patient), full_body(goals, today - datetime.timedelta(days=3)), format="json"
    )

    assert response.status_code == 201, response.content
    session = TherapySession.objects.get()
    assert session.therapist == owner
    assert set(GoalProgress.objects.values_list("recorded_by", flat=True)) == {practice_admin.pk}


# --- one transaction: a bad part writes nothing ------------------------------------------------


BAD_SECOND_ENTRY = [
    ({"rating": 11}, "rating"),
    ({"rating": 0}, "rating"),
    ({"progress_note": ""}, "progress_note"),
    ({"progress_note": "   "}, "progress_note"),
    ({"progress_value": "x" * 101}, "progress_value"),
]


@pytest.mark.parametrize(("change", "field"), BAD_SECOND_ENTRY, ids=[f for _, f in BAD_SECOND_ENTRY])
def test_an_invalid_second_progress_entry_writes_nothing(api, owner, patient, goals, today, change, field):
    body = full_body(goals, today - datetime.timedelta(days=7))
    body["progress"][1].update(change)
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert "progress" in errors or "progress[1]" in errors, errors
    if "progress" in errors and isinstance(errors["progress"], list):
        assert field in errors["progress"][1], errors
        assert not errors["progress"][0], errors
    assert written_state() == before


def test_a_progress_entry_refused_by_the_service_rolls_back_the_whole_session(api, owner, patient, goals, today):
    """The first entry is valid and written inside the transaction; the second is for a discontinued goal."""
    body = full_body(goals, today - datetime.timedelta(days=7))
    body["progress"][1]["goal_id"] = str(goals["dropped"].pk)
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert "progress[1]" in response.json(), response.json()
    assert written_state() == before
    assert not TherapySession.objects.exists()
    assert not GoalProgress.objects.exists()
    assert not SessionIntervention.objects.exists()


def test_missing_goal_of_a_progress_entry_is_400(api, owner, patient, goals, today):
    body = full_body(goals, today - datetime.timedelta(days=7))
    del body["progress"][1]["goal_id"]
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert "progress" in response.json()
    assert written_state() == before


@pytest.mark.parametrize("days_ahead", [1, 2, 30])
def test_a_future_session_date_is_400(api, owner, patient, goals, today, days_ahead):
    before = written_state()

    response = api.as_(owner).post(
        url_for(patient), full_body(goals, today + datetime.timedelta(days=days_ahead)), format="json"
    )

    assert response.status_code == 400, response.content
    assert "session_date" in response.json()
    assert written_state() == before


@pytest.mark.parametrize("duration", [0, 601, -5, None, "long"])
def test_a_bad_duration_is_400(api, owner, patient, goals, today, duration):
    body = full_body(goals, today - datetime.timedelta(days=1), duration_minutes=duration)
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert "duration_minutes" in response.json()
    assert written_state() == before


@pytest.mark.parametrize("missing", ["session_date", "duration_minutes"])
def test_a_missing_required_field_is_400(api, owner, patient, goals, today, missing):
    body = full_body(goals, today - datetime.timedelta(days=1))
    del body[missing]
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert missing in response.json()
    assert written_state() == before


def test_a_plan_of_another_patient_is_400(api, owner, patient, other_patient, today):
    theirs = PlanFactory(patient=other_patient, title="Depression plan")
    body = {
        "session_date": (today - datetime.timedelta(days=1)).isoformat(),
        "duration_minutes": 50,
        "plan_id": str(theirs.pk),
    }
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert "plan_id" in response.json()
    assert written_state() == before


def test_goals_of_another_patient_are_400(api, owner, patient, other_patient, today):
    """Without plan_id the plan is inferred from the goals; here it is another patient's plan."""
    their_goal = GoalFactory(plan=PlanFactory(patient=other_patient))
    body = {
        "session_date": (today - datetime.timedelta(days=1)).isoformat(),
        "duration_minutes": 50,
        "goal_ids": [str(their_goal.pk)],
        "progress": [{"goal_id": str(their_goal.pk), "progress_note": "Not this patient's goal.", "rating": 5}],
    }
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert error_keys(response) & {"plan_id", "goal_ids", "progress"}
    assert written_state() == before


def test_a_plan_the_caller_cannot_see_is_400(api, owner, patient, practice, today):
    stranger = UserFactory(practice=practice, email="stranger@riverside.example")
    hidden = PlanFactory(patient=PatientFactory(primary_therapist=stranger))
    body = {
        "session_date": (today - datetime.timedelta(days=1)).isoformat(),
        "duration_minutes": 50,
        "plan_id": str(hidden.pk),
    }
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert "plan_id" in response.json()
    assert written_state() == before


@pytest.mark.parametrize("where", ["goal_ids", "interventions", "progress"])
def test_goals_from_two_plans_are_400(api, owner, patient, goals, today, where):
    second_plan = PlanFactory(patient=patient, title="Sleep plan")
    stray = GoalFactory(plan=second_plan, description="Keep a regular wake time")
    body = full_body(goals, today - datetime.timedelta(days=1))
    if where == "goal_ids":
        body["goal_ids"].append(str(stray.pk))
    elif where == "interventions":
        body["interventions"][1]["goal_id"] = str(stray.pk)
    else:
        body["progress"][1]["goal_id"] = str(stray.pk)
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert error_keys(response) & {where, "plan_id", f"{where}[1]"}, response.json()
    assert written_state() == before


def test_goals_of_a_plan_other_than_plan_id_are_400(api, owner, patient, goals, today):
    second_plan = PlanFactory(patient=patient, title="Sleep plan")
    body = full_body(goals, today - datetime.timedelta(days=1), plan_id=str(second_plan.pk))
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert error_keys(response) & {"goal_ids", "interventions", "progress", "plan_id"}
    assert written_state() == before


@pytest.mark.parametrize("status", ["completed", "discontinued"])
@pytest.mark.parametrize("explicit", [True, False], ids=["plan_id", "inferred"])
def test_a_closed_plan_takes_no_sessions(api, owner, patient, plan, goals, today, status, explicit):
    plan_update(by=SYSTEM, plan=plan, status=status, status_reason="Closed in a test.")
    body = full_body(goals, today - datetime.timedelta(days=1))
    if explicit:
        body["plan_id"] = str(plan.pk)
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 409, response.content
    assert response.json() == {"detail": f"This plan is {status}; its record is closed to changes."}
    assert written_state() == before


def test_an_intervention_of_another_practice_is_400(api, owner, patient, goals, today, other_practice):
    foreign = Intervention.objects.create(name="Harbor Only Method", modality="other", practice=other_practice)
    body = full_body(goals, today - datetime.timedelta(days=1))
    body["interventions"][1]["intervention_id"] = str(foreign.pk)
    before = written_state()

    response = api.as_(owner).post(url_for(patient), body, format="json")

    assert response.status_code == 400, response.content
    assert "interventions" in response.json()
    assert written_state() == before


# --- what asks for a confirmation (the rule of the page: treatment.services.sessions.session_warnings) ---

CONFIRM = ["Check it, then confirm to record the session anyway."]


def test_a_session_before_the_plan_started_is_400_unless_confirmed(api, owner, patient, plan, goals):
    typo = plan.start_date.replace(year=plan.start_date.year - 7)
    before = written_state()

    refused = api.as_(owner).post(url_for(patient), full_body(goals, typo), format="json")

    assert refused.status_code == 400, refused.content
    start = plan.start_date
    assert refused.json() == {
        "confirm": CONFIRM,
        "session_date": [
            f"The session date {typo.day} {typo:%b %Y} is before the plan started ({start.day} {start:%b %Y})."
        ],
    }
    assert written_state() == before

    response = api.as_(owner).post(url_for(patient), full_body(goals, typo, confirm=True), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["session_date"] == typo.isoformat()
    assert "confirm" not in response.json()  # write-only
    assert GoalProgress.objects.count() == 2


def test_a_goal_named_with_nothing_recorded_is_400_unless_confirmed(api, owner, patient, plan, goals, today):
    body = {"session_date": today.isoformat(), "duration_minutes": 50, "goal_ids": [str(goals["sleep"].pk)]}
    before = written_state()

    refused = api.as_(owner).post(url_for(patient), body, format="json")

    assert refused.status_code == 400, refused.content
    assert refused.json() == {
        "confirm": CONFIRM,
        "goal_ids": [
            "“Sleep at least 7 hours a night” is marked as addressed, but nothing is recorded for it "
            "(no note, rating or intervention)."
        ],
    }
    assert written_state() == before

    response = api.as_(owner).post(url_for(patient), {**body, "confirm": True}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["goal_ids"] == [str(goals["sleep"].pk)]


def test_confirm_is_a_boolean(api, owner, patient, goals, today):
    response = api.as_(owner).post(url_for(patient), full_body(goals, today, confirm="perhaps"), format="json")

    assert response.status_code == 400
    assert error_keys(response) == {"confirm"}


# --- access ------------------------------------------------------------------------------------

WRITE_CASES = [
    ("owner", 201),
    ("colleague", 404),
    ("supervisor", 403),
    ("practice_admin", 201),
    ("outsider_admin", 404),
]


@pytest.mark.parametrize(("role", "expected"), WRITE_CASES)
def test_who_may_record_a_session(api, cast, patient, goals, today, role, expected):
    before = written_state()

    response = api.as_(cast[role]).post(
        url_for(patient), full_body(goals, today - datetime.timedelta(days=1)), format="json"
    )

    assert response.status_code == expected, response.content
    if expected == 201:
        assert TherapySession.objects.count() == 1
        assert GoalProgress.objects.count() == 2
    else:
        assert written_state() == before


@pytest.mark.parametrize(("role", "expected"), [r for r in WRITE_CASES if r[1] != 201])
def test_access_is_decided_before_the_body_is_read(api, cast, patient, role, expected):
    """A caller who may not write gets 404/403 whatever they send, not a 400 about the body."""
    before = written_state()

    response = api.as_(cast[role]).post(url_for(patient), {"duration_minutes": 0}, format="json")

    assert response.status_code == expected, response.content
    assert written_state() == before


def test_an_unknown_patient_is_404(api, owner, today):
    body = {"session_date": (today - datetime.timedelta(days=1)).isoformat(), "duration_minutes": 50}

    response = api.as_(owner).post("/api/v1/patients/00000000-0000-0000-0000-000000000000/sessions", body)

    assert response.status_code == 404, response.content
    assert not TherapySession.objects.exists()


def test_unauthenticated_is_401_and_writes_nothing(api, patient, goals, today):
    before = written_state()

    assert api.get(url_for(patient)).status_code == 401
    assert api.get("/api/v1/sessions").status_code == 401
    response = api.post(url_for(patient), full_body(goals, today - datetime.timedelta(days=1)), format="json")

    assert response.status_code == 401
    assert written_state() == before


def record(patient, days_ago, plan=None, goals=(), **extra):
    today = local_today(patient.practice)
    return session_record(
        by=SYSTEM,
        patient=patient,
        session_date=today - datetime.timedelta(days=days_ago),
        duration_minutes=50,
        plan=plan,
        goals=list(goals),
        **extra,
    )


@pytest.mark.parametrize(
    ("role", "visible"),
    [("owner", True), ("colleague", False), ("supervisor", True), ("practice_admin", True), ("outsider_admin", False)],
)
def test_who_may_read_sessions(api, cast, patient, plan, role, visible):
    session = record(patient, 3, plan=plan)
    client = api.as_(cast[role])

    nested = client.get(url_for(patient))
    detail = client.get(f"/api/v1/sessions/{session.pk}")
    flat = client.get("/api/v1/sessions")

    assert nested.status_code == (200 if visible else 404)
    assert detail.status_code == (200 if visible else 404)
    assert flat.status_code == 200
    assert (str(session.pk) in {row["id"] for row in flat.json()["results"]}) is visible


# --- reading -----------------------------------------------------------------------------------


def test_patient_sessions_are_listed_newest_first(api, owner, patient, other_patient, plan):
    older = record(patient, 20, plan=plan)
    newest = record(patient, 3, plan=plan)
    middle = record(patient, 10)
    record(other_patient, 1)

    response = api.as_(owner).get(url_for(patient))

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [str(newest.pk), str(middle.pk), str(older.pk)]
    dates = [row["session_date"] for row in rows]
    assert dates == sorted(dates, reverse=True)


def test_same_day_sessions_list_latest_recorded_first(api, owner, patient):
    first = record(patient, 2)
    second = record(patient, 2)

    rows = api.as_(owner).get(url_for(patient)).json()["results"]

    assert [row["id"] for row in rows] == [str(second.pk), str(first.pk)]


def test_get_one_session(api, owner, patient, goals, today):
    created = api.as_(owner).post(url_for(patient), full_body(goals, today - datetime.timedelta(days=4))).json()

    response = api.as_(owner).get(f"/api/v1/sessions/{created['id']}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == created["id"]
    assert set(body["goal_ids"]) == set(created["goal_ids"])
    assert len(body["interventions_delivered"]) == 2
    assert len(body["progress_entries"]) == 2
    assert {e["session_id"] for e in body["progress_entries"]} == {created["id"]}
    for write_only in ("interventions", "progress", "therapist_id"):
        assert write_only not in body
    assert AuditEvent.objects.filter(
        action="view", object_type="treatment.therapysession", object_id=created["id"], user=owner
    ).exists()


def test_unknown_session_is_404(api, owner):
    assert api.as_(owner).get("/api/v1/sessions/00000000-0000-0000-0000-000000000000").status_code == 404


def test_sessions_filters(api, owner, patient, other_patient, plan):
    second_plan = PlanFactory(patient=patient, title="Sleep plan")
    s1 = record(patient, 30, plan=plan)
    s2 = record(patient, 10, plan=second_plan)
    s3 = record(patient, 5)
    s4 = record(other_patient, 10)
    today = local_today(patient.practice)
    day = lambda n: (today - datetime.timedelta(days=n)).isoformat()  # noqa: E731
    client = api.as_(owner)

    def ids(**params):
        response = client.get("/api/v1/sessions", params)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {str(s.pk) for s in (s1, s2, s3, s4)}
    assert ids(patient=str(patient.pk)) == {str(s.pk) for s in (s1, s2, s3)}
    assert ids(patient=str(other_patient.pk)) == {str(s4.pk)}
    assert ids(plan=str(plan.pk)) == {str(s1.pk)}
    assert ids(plan=str(second_plan.pk)) == {str(s2.pk)}
    assert ids(since=day(10)) == {str(s.pk) for s in (s2, s3, s4)}
    assert ids(until=day(10)) == {str(s.pk) for s in (s1, s2, s4)}
    assert ids(since=day(10), until=day(10)) == {str(s.pk) for s in (s2, s4)}
    assert ids(patient=str(patient.pk), since=day(10)) == {str(s.pk) for s in (s2, s3)}
    assert ids(since=day(4)) == set()


@pytest.mark.parametrize("params", [{"since": "yesterday"}, {"patient": "not-a-uuid"}, {"plan": "12"}])
def test_bad_session_filters_are_400(api, owner, params):
    response = api.as_(owner).get("/api/v1/sessions", params)

    assert response.status_code == 400, response.content
    assert set(params) <= set(response.json())


def test_filters_do_not_reveal_other_patients(api, colleague, patient, plan):
    record(patient, 3, plan=plan)

    response = api.as_(colleague).get("/api/v1/sessions", {"patient": str(patient.pk)})

    assert response.status_code == 200
    assert response.json()["results"] == []


# --- audit -------------------------------------------------------------------------------------


def test_recording_a_session_is_audited(api, owner, patient, goals, today):
    response = api.as_(owner).post(url_for(patient), full_body(goals, today - datetime.timedelta(days=2)))
    assert response.status_code == 201, response.content
    session_id = response.json()["id"]

    created = AuditEvent.objects.filter(action="create", object_type="treatment.therapysession")
    assert created.count() == 1
    event = created.get()
    assert event.object_id == session_id
    assert event.patient == patient
    assert event.user == owner
    assert event.channel == "api"
    assert event.changes["duration_minutes"] == [None, 50]
    assert set(event.changes["goals_addressed"][1]) == set(response.json()["goal_ids"])
    assert len(event.changes["interventions"][1]) == 2

    progress_events = AuditEvent.objects.filter(action="create", object_type="treatment.goalprogress")
    assert progress_events.count() == 2
    assert set(progress_events.values_list("object_id", flat=True)) == {
        str(pk) for pk in GoalProgress.objects.values_list("pk", flat=True)
    }
    assert set(progress_events.values_list("patient", flat=True)) == {patient.pk}
    assert set(progress_events.values_list("user", flat=True)) == {owner.pk}


def test_each_session_create_writes_its_own_event(api, owner, patient, today):
    client = api.as_(owner)
    for days_ago in (3, 2):
        body = {"session_date": (today - datetime.timedelta(days=days_ago)).isoformat(), "duration_minutes": 50}
        assert client.post(url_for(patient), body).status_code == 201

    events = AuditEvent.objects.filter(action="create", object_type="treatment.therapysession")
    assert set(events.values_list("object_id", flat=True)) == {
        str(pk) for pk in TherapySession.objects.values_list("pk", flat=True)
    }
    assert events.count() == 2


def test_listing_sessions_is_audited_per_row(api, owner, patient, plan):
    sessions = [record(patient, 4, plan=plan), record(patient, 2, plan=plan)]
    before = AuditEvent.objects.filter(action="view", object_type="treatment.therapysession").count()

    api.as_(owner).get(url_for(patient))

    viewed = AuditEvent.objects.filter(action="view", object_type="treatment.therapysession", user=owner)
    assert viewed.count() == before + 2
    assert set(viewed.values_list("object_id", flat=True)) == {str(s.pk) for s in sessions}
