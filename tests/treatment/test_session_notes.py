"""Sessions you can read: the session page, a goal's history, and addenda (page, service, API, database).

The access matrix of these pages and of the addenda endpoint is tests/treatment/test_session_notes_matrix.py.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from tests.factories import GoalFactory, intervention
from tests.support import shown
from treatment.models import ADDENDUM_MAX_LENGTH, SessionAddendum
from treatment.services import plan_update, progress_record, session_addendum_add, session_record
from treatment.services.measures import measurement_record

pytestmark = pytest.mark.django_db

NOTES = "Client arrived anxious about a work deadline; reviewed the worry log."
BREATHING_NOTE = "Practised box breathing on five of seven days."
SLEEP_NOTE = "Slept about six hours on most nights."


@pytest.fixture
def by(owner):
    return AuditContext.system("tests", user=owner)


@pytest.fixture
def session(by, plan, tree):
    """A session on two goals (one rated with a value), an intervention for one and another without a goal."""
    sleep = GoalFactory(plan=plan, description="Sleep seven hours on most nights", priority=2)
    return session_record(
        by=by,
        patient=plan.patient,
        plan=plan,
        session_date=plan.patient.practice.today() - datetime.timedelta(days=2),
        duration_minutes=50,
        notes=NOTES,
        goals=[tree["objective"], sleep],
        interventions=[
            {"intervention": intervention("Deep Breathing"), "goal": tree["objective"]},
            {"intervention": intervention("Sleep Hygiene"), "goal": None},
        ],
        progress=[
            {"goal": tree["objective"], "progress_note": BREATHING_NOTE, "progress_value": "5 days", "rating": 6},
            {"goal": sleep, "progress_note": SLEEP_NOTE, "progress_value": "", "rating": None},
        ],
    )


def page_of(client, user, session):
    client.force_login(user)
    response = client.get(reverse("session-detail", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- the session page --------------------------------------------------------------------------


def test_the_session_page_lists_the_measures_given_in_it_each_linking_to_its_result(client, owner, by, session):
    patient = session.patient
    phq9 = measurement_record(by=by, patient=patient, instrument="phq9", answers=[2] * 8 + [1], session=session)
    gad7 = measurement_record(by=by, patient=patient, instrument="gad7", answers=[1] * 7, session=session)
    measurement_record(by=by, patient=patient, instrument="gad7", answers=[3] * 7)  # not in this session
    audits_before = AuditEvent.objects.filter(user=owner, action="view", object_type="treatment.measurement").count()

    html = page_of(client, owner, session)

    assert "Measures administered" in html
    assert (
        f'<th scope="row"><a href="/measurements/{phq9.pk}/">PHQ-9</a></th>\n'
        "          <td>17 of 27</td>\n"
        "          <td>Moderately severe</td>\n"
        '          <td><span class="badge badge-danger">Raised</span></td>'
    ) in html
    assert (
        f'<th scope="row"><a href="/measurements/{gad7.pk}/">GAD-7</a></th>\n'
        "          <td>7 of 21</td>\n"
        "          <td>Mild</td>\n"
        "          <td>None</td>"
    ) in html
    assert html.count('<a href="/measurements/') == 2
    audited = AuditEvent.objects.filter(user=owner, action="view", object_type="treatment.measurement")
    assert audited.count() - audits_before == 2
    assert set(audited.values_list("object_id", flat=True)) >= {str(phq9.pk), str(gad7.pk)}


def test_a_session_without_measures_says_so(client, owner, session):
    assert "No standardized measure was administered in this session." in page_of(client, owner, session)


def test_the_session_page_shows_everything_the_session_recorded(client, owner, session, tree):
    html = page_of(client, owner, session)

    assert f"Session on {shown(session.session_date)}" in html
    assert "50 min" in html
    assert str(owner) in html  # the clinician
    assert NOTES in html
    assert BREATHING_NOTE in html and "5 days" in html and "6/10" in html
    assert SLEEP_NOTE in html and "not rated" in html
    assert "Deep Breathing" in html and "Sleep Hygiene" in html
    # In the plan's tree order: the objective (under the first long-term goal) before the second long-term goal.
    assert html.index(BREATHING_NOTE) < html.index(SLEEP_NOTE)
    assert reverse("goal-history", args=[tree["objective"].pk]) in html


def test_addenda_are_shown_under_the_original_oldest_first(client, owner, practice_admin, session, by):
    session_addendum_add(by=by, session=session, text="The rating was 5, not 6.")
    session_addendum_add(by=AuditContext.system("tests", user=practice_admin), session=session, text="Seen.")

    html = page_of(client, owner, session)

    assert html.index(NOTES) < html.index(BREATHING_NOTE) < html.index("The rating was 5, not 6.") < html.index("Seen.")
    assert f"Addendum by {owner}" in html and f"Addendum by {practice_admin}" in html
    assert BREATHING_NOTE in html and "6/10" in html  # the original stands as written


def test_who_may_change_gets_the_addendum_form_who_may_only_read_does_not(client, owner, supervisor, session):
    form_action = reverse("session-addendum-add", args=[session.pk])

    assert form_action in page_of(client, owner, session)
    assert form_action not in page_of(client, supervisor, session)


def test_the_plan_page_and_the_patient_page_link_to_the_session(client, owner, plan, patient, session):
    client.force_login(owner)
    target = reverse("session-detail", args=[session.pk])

    assert target in client.get(reverse("plan-detail", args=[plan.pk])).content.decode()
    assert target in client.get(patient.get_absolute_url()).content.decode()


def test_a_session_without_a_plan_reads_too(client, owner, patient, by):
    alone = session_record(
        by=by, patient=patient, session_date=patient.practice.today(), duration_minutes=30, notes="Intake call."
    )

    html = page_of(client, owner, alone)

    assert "Intake call." in html
    assert "No plan" in html
    assert "This session addressed no goal." in html


# --- a goal's history --------------------------------------------------------------------------


def test_a_goals_history_lists_its_entries_newest_first_with_links_to_their_sessions(client, owner, session, tree, by):
    goal = tree["objective"]
    progress_record(by=by, goal=goal, progress_note="A phone check-in between sessions.", rating=7)
    client.force_login(owner)

    html = client.get(reverse("goal-history", args=[goal.pk])).content.decode()

    assert html.index("A phone check-in between sessions.") < html.index(BREATHING_NOTE)
    assert "7/10" in html and "6/10" in html and "5 days" in html
    assert reverse("session-detail", args=[session.pk]) in html
    assert html.count(reverse("session-detail", args=[session.pk])) == 1  # the check-in had no session
    assert "<html" in html


def test_htmx_gets_only_the_history_list(client, owner, session, tree):
    client.force_login(owner)

    response = client.get(reverse("goal-history", args=[tree["objective"].pk]), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith(f'<div class="goal-history" id="goal-{tree["objective"].pk}-history">')
    assert BREATHING_NOTE in html
    assert "HX-Request" in response["Vary"]


def test_each_goal_card_on_the_plan_page_links_to_its_history(client, owner, plan, tree):
    client.force_login(owner)

    html = client.get(reverse("plan-detail", args=[plan.pk])).content.decode()

    for goal in tree.values():
        assert reverse("goal-history", args=[goal.pk]) in html


def test_reading_a_history_audits_the_goal_and_each_entry_shown(client, owner, session, tree):
    client.force_login(owner)
    entry = tree["objective"].progress_entries.get()

    client.get(reverse("goal-history", args=[tree["objective"].pk]))

    viewed = set(AuditEvent.objects.filter(user=owner, action="view").values_list("object_type", "object_id"))
    assert viewed == {("treatment.treatmentgoal", str(tree["objective"].pk)), ("treatment.goalprogress", str(entry.pk))}


# --- adding an addendum on the page ------------------------------------------------------------


def test_an_addendum_added_on_the_page_appears_under_the_record(client, owner, session):
    client.force_login(owner)

    response = client.post(
        reverse("session-addendum-add", args=[session.pk]),
        {"text": "  Client called: the deadline moved.  "},
        follow=True,
    )

    html = response.content.decode()
    assert "The addendum was added to the session&#x27;s record." in html
    assert html.index(NOTES) < html.index("Client called: the deadline moved.")
    addendum = SessionAddendum.objects.get(session=session)
    assert (addendum.text, addendum.author) == ("Client called: the deadline moved.", owner)


@pytest.mark.parametrize(
    ("text", "error"),
    [("   ", "This field is required."), ("x" * (ADDENDUM_MAX_LENGTH + 1), f"at most {ADDENDUM_MAX_LENGTH}")],
    ids=["empty", "too-long"],
)
def test_a_refused_addendum_keeps_what_was_typed_and_says_why(client, owner, session, text, error):
    client.force_login(owner)

    response = client.post(reverse("session-addendum-add", args=[session.pk]), {"text": text})

    html = response.content.decode()
    assert response.status_code == 400
    assert "The addendum was not added." in html
    assert 'href="#id_text"' in html  # the summary links to the field
    assert error in html
    if text.strip():
        assert text in html
    assert not SessionAddendum.objects.exists()


# --- the service ---------------------------------------------------------------------------------


def test_the_service_records_author_time_and_an_audit_event(owner, session, by):
    addendum = session_addendum_add(by=by, session=session, text="Corrected the duration: 45 minutes.")

    assert addendum.author == owner and addendum.created_at is not None
    event = AuditEvent.objects.get(object_id=str(addendum.pk))
    assert (event.action, event.object_type, event.patient) == ("create", "treatment.sessionaddendum", session.patient)
    assert event.changes == {"session": [None, str(session.pk)], "text": [None, "Corrected the duration: 45 minutes."]}


def test_a_supervisor_may_not_add_an_addendum(supervisor, session):
    with pytest.raises(PermissionDenied):
        session_addendum_add(by=AuditContext.system("tests", user=supervisor), session=session, text="Noted.")
    assert not SessionAddendum.objects.exists()


def test_an_addendum_needs_an_author(session):
    with pytest.raises(ValidationError) as refused:
        session_addendum_add(by=AuditContext.system("tests"), session=session, text="Noted.")
    assert "author" in refused.value.message_dict


def test_a_closed_plans_session_still_takes_an_addendum(client, api, owner, plan, session, by):
    """A closed plan's record is final, and a correction is the one way it can still be put right."""
    plan_update(by=by, plan=plan, status="completed", status_reason="Goals met.")
    client.force_login(owner)

    page = client.post(reverse("session-addendum-add", args=[session.pk]), {"text": "Late entry from the page."})
    api_response = api.as_(owner).post(f"/api/v1/sessions/{session.pk}/addenda", {"text": "Late entry."}, format="json")

    assert page.status_code == 302
    assert api_response.status_code == 201
    assert "The plan is completed, so its record is closed to changes" in page_of(client, owner, session)
    assert SessionAddendum.objects.filter(session=session).count() == 2
    # The record itself stays closed: no new session on the plan.
    assert client.get(reverse("session-record", args=[plan.pk])).status_code == 409


# --- immutability --------------------------------------------------------------------------------


def test_the_application_never_changes_or_removes_an_addendum(session, by):
    addendum = session_addendum_add(by=by, session=session, text="Original correction.")

    addendum.text = "Rewritten"
    with pytest.raises(PermissionError):
        addendum.save()
    with pytest.raises(PermissionError):
        addendum.delete()
    with pytest.raises(PermissionError):
        SessionAddendum.objects.filter(pk=addendum.pk).update(text="Rewritten")
    with pytest.raises(PermissionError):
        SessionAddendum.objects.filter(pk=addendum.pk).delete()
    assert SessionAddendum.objects.get(pk=addendum.pk).text == "Original correction."


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_to_change_or_delete_an_addendum(session, by):
    addendum = session_addendum_add(by=by, session=session, text="Original correction.")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE treatment_sessionaddendum SET text = 'Rewritten' WHERE id = %s", [addendum.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM treatment_sessionaddendum WHERE id = %s", [addendum.pk])

    assert SessionAddendum.objects.get(pk=addendum.pk).text == "Original correction."


# --- the API -------------------------------------------------------------------------------------


def test_the_api_adds_an_addendum_and_the_session_lists_it(api, owner, session):
    client = api.as_(owner)

    created = client.post(f"/api/v1/sessions/{session.pk}/addenda", {"text": "Correction via the EHR."}, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["session_id"], body["text"], body["author"]["id"]) == (
        str(session.pk),
        "Correction via the EHR.",
        str(owner.pk),
    )
    detail = client.get(f"/api/v1/sessions/{session.pk}").json()
    assert [a["id"] for a in detail["addenda"]] == [body["id"]]
    listed = client.get("/api/v1/sessions", {"patient": str(session.patient_id)}).json()["results"]
    assert listed[0]["addenda"][0]["text"] == "Correction via the EHR."


@pytest.mark.parametrize(
    "body",
    [{}, {"text": ""}, {"text": "   "}, {"text": 12}, {"text": "x" * (ADDENDUM_MAX_LENGTH + 1)}, {"text": "a\x00b"}],
    ids=["missing", "empty", "blank", "number", "too-long", "nul"],
)
def test_a_bad_addendum_is_a_400_naming_text(api, owner, session, body):
    response = api.as_(owner).post(f"/api/v1/sessions/{session.pk}/addenda", body, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()) == ["text"]
    assert not SessionAddendum.objects.exists()


def test_an_unknown_session_is_a_404(api, owner, session):
    response = api.as_(owner).post("/api/v1/sessions/00000000-0000-0000-0000-000000000000/addenda", {"text": "x"})

    assert response.status_code == 404


# --- what the pages cost -------------------------------------------------------------------------


def _objectives(plan, n):
    """`n` long-term goals, each with a short-term goal with an objective; returns the objectives."""
    objectives = []
    for _ in range(n):
        long_term = GoalFactory(plan=plan)
        short_term = GoalFactory(parent_goal=long_term, goal_type="short_term")
        objectives.append(GoalFactory(parent_goal=short_term, goal_type="objective"))
    return objectives


def _session_on(by, plan, goals, addenda):
    session = session_record(
        by=by,
        patient=plan.patient,
        plan=plan,
        session_date=plan.patient.practice.today(),
        duration_minutes=50,
        notes="Notes.",
        goals=goals,
        interventions=[{"intervention": intervention("Deep Breathing"), "goal": g} for g in goals],
        progress=[{"goal": g, "progress_note": f"Note on {g.description}", "rating": 5} for g in goals],
    )
    for n in range(addenda):
        session_addendum_add(by=by, session=session, text=f"Addendum {n}")
    return session


def test_the_session_page_costs_the_same_for_1_and_20_goals(
    client, owner, plan, by, django_assert_max_num_queries, django_assert_num_queries
):
    small = _session_on(by, plan, _objectives(plan, 1), addenda=1)
    large = _session_on(by, plan, [*_objectives(plan, 10), *(g.parent_goal for g in _objectives(plan, 10))], addenda=5)
    measurement_record(by=by, patient=plan.patient, instrument="gad7", answers=[1] * 7, session=small)
    for answers in ([1] * 9, [2] * 9, [0] * 9):
        measurement_record(by=by, patient=plan.patient, instrument="phq9", answers=answers, session=large)
    measurement_record(by=by, patient=plan.patient, instrument="gad7", answers=[3] * 7, session=large)
    client.force_login(owner)
    client.get(reverse("session-detail", args=[small.pk]))  # warm the per-process caches

    # The browser session and the user; the session with its patient, practice, plan, therapist and the user's right;
    # the progress entries; the interventions; the addenda; the goals addressed; the plan's goals; the measurements;
    # the header's unread look-up and count (the measures raised notifications) and the user's practice; the audit
    # INSERT (the session and each measurement shown); the browser session saved (the idle timeout slides: 3 with its
    # savepoint).
    with django_assert_max_num_queries(17) as counted:
        assert client.get(reverse("session-detail", args=[small.pk])).status_code == 200

    with django_assert_num_queries(len(counted.captured_queries)):
        response = client.get(reverse("session-detail", args=[large.pk]))
    assert response.content.decode().count("session-note-goal-title") == 20
    assert response.content.decode().count("Addendum by") == 5
    assert response.content.decode().count('<a href="/measurements/') == 4


def test_a_goals_history_costs_the_same_for_3_and_30_entries(
    client, owner, plan, by, django_assert_max_num_queries, django_assert_num_queries
):
    few, many = GoalFactory(plan=plan), GoalFactory(plan=plan)
    for goal, n in ((few, 3), (many, 30)):
        session = _session_on(by, plan, [], addenda=0)
        for k in range(n):
            progress_record(by=by, goal=goal, session=session if k % 2 else None, progress_note=f"Entry {k}", rating=5)
    client.force_login(owner)
    client.get(reverse("goal-history", args=[few.pk]))

    # The browser session and the user; the goal with its plan, patient, practice, therapist and the user's right;
    # the entries with their authors and sessions; the header's unread count and the user's practice; the audit
    # INSERT; the browser session saved (the idle timeout slides: 3 with its savepoint).
    with django_assert_max_num_queries(11) as counted:
        assert client.get(reverse("goal-history", args=[few.pk])).status_code == 200

    with django_assert_num_queries(len(counted.captured_queries)):
        response = client.get(reverse("goal-history", args=[many.pk]))
    assert response.content.decode().count('class="goal-history-entry"') == 30


def test_the_schema_documents_the_addenda_endpoint_as_open_on_a_closed_plan(api, owner):
    schema = api.as_(owner).get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/sessions/{session_id}/addenda"]["post"]
    assert {"201", "400", "403", "404"} <= set(operation["responses"])
    assert "409" not in operation["responses"]
    assert "addenda" in schema["components"]["schemas"]["Session"]["properties"]


def test_the_admin_shows_a_sessions_addenda_read_only(client, practice_admin, session, by):
    session_addendum_add(by=by, session=session, text="Corrected in the app.")
    client.force_login(practice_admin)

    page = client.get(f"/admin/treatment/therapysession/{session.pk}/change/")

    assert page.status_code == 200
    assert "Corrected in the app." in page.content.decode()
    inline = next(f for f in page.context["inline_admin_formsets"] if f.formset.model is SessionAddendum)
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission
