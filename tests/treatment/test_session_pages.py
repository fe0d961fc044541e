"""The "Record a session" page: one page and one submit record the session, the goals it addressed, the
interventions delivered and every goal's progress, through `treatment.services.session_record`.

What is typed survives every refusal; a future date is refused with a clear message; access follows the
patient (not visible: 404; visible, not changeable or plan closed: 403); the page costs the same number
of queries however many goals the plan has.
"""

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from interventions.models import Intervention
from tests.factories import GoalFactory, PlanFactory, UserFactory, intervention
from treatment.models import GoalProgress, SessionIntervention, TherapySession, TreatmentGoal, TreatmentPlan
from treatment.services import goal_update, plan_update
from treatment.session_forms import goal_field

pytestmark = pytest.mark.django_db

SYSTEM = AuditContext.system("tests")


@pytest.fixture
def today(practice):
    return practice.today()


@pytest.fixture
def goals(plan, tree):
    """The conftest tree (its objective uses Deep Breathing) and a second long-term goal using Sleep Hygiene."""
    sleep = GoalFactory(
        plan=plan,
        description="Sleep at least 7 hours a night",
        priority=2,
        interventions=[{"intervention": intervention("Sleep Hygiene")}],
    )
    return {**tree, "sleep": sleep}


def url(plan):
    return f"/plans/{plan.pk}/sessions/new/"


def form_data(goals, session_date, **extra):
    """The objective and the sleep goal ticked with progress, one linked intervention each, one from the library."""
    objective, sleep = goals["objective"], goals["sleep"]
    return {
        "session_date": session_date.isoformat(),
        "duration_minutes": "50",
        "notes": "Reviewed the breathing log; introduced a wind-down routine.",
        goal_field(objective): "on",
        goal_field(objective, "note"): "Practised deep breathing daily; used it twice when anxious.",
        goal_field(objective, "value"): "1 technique learned",
        goal_field(objective, "rating"): "7",
        goal_field(objective, "interventions"): [str(intervention("Deep Breathing").pk)],
        goal_field(sleep): "on",
        goal_field(sleep, "note"): "Sleeping about five hours; racing thoughts at bedtime.",
        goal_field(sleep, "value"): "5 hours",
        goal_field(sleep, "rating"): "4",
        goal_field(sleep, "interventions"): [str(intervention("Sleep Hygiene").pk)],
        "extra_interventions": [str(intervention("Psychoeducation").pk)],
        "record": "1",
        **extra,
    }


def written_state():
    return {
        "sessions": TherapySession.objects.count(),
        "links": SessionIntervention.objects.count(),
        "progress": GoalProgress.objects.count(),
        "goals": dict(TreatmentGoal.objects.values_list("pk", "progress_percentage")),
        "plans": dict(TreatmentPlan.objects.values_list("pk", "overall_progress")),
    }


def text(response) -> str:
    return response.content.decode()


# --- the page ----------------------------------------------------------------------------------


def test_the_page_lists_the_goals_in_tree_order_with_their_fields(client, owner, plan, goals, today):
    client.force_login(owner)

    response = client.get(url(plan))

    assert response.status_code == 200
    html = text(response)
    for label in ("Session date", "Duration (minutes)", "Session notes", "Goals addressed", "Record session"):
        assert label in html
    # Defaults: the practice's today and a 50-minute session.
    assert f'value="{today.isoformat()}"' in html
    assert re.search(r'name="duration_minutes" value="50"', html)
    # Tree order: long-term, its short-term goal, its objective, then the second long-term goal.
    positions = [html.index(goals[k].description) for k in ("long_term", "short_term", "objective", "sleep")]
    assert positions == sorted(positions)
    # Every goal: a checkbox labelled with its description, its note and value named for it, and its rating
    # as a group of eleven radios (not rated, 1 to 10), "not rated" chosen.
    for goal in goals.values():
        checkbox = f"id_{goal_field(goal)}"
        assert f'<label for="{checkbox}">{goal.description}</label>' in html
        for part, name in (("note", "Progress note"), ("value", "Value")):
            assert re.search(
                rf'<label for="id_{goal_field(goal, part)}">{re.escape(name)}'
                rf'<span class="visually-hidden"> for {re.escape(goal.description)}</span></label>',
                html,
            ), (goal.description, part)
        rating = goal_field(goal, "rating")
        assert re.search(
            rf'<fieldset class="session-rating" id="id_{rating}">\s*<legend>Rating \(1–10\)'  # noqa: RUF001
            rf'<span class="visually-hidden"> for {re.escape(goal.description)}</span></legend>',
            html,
        )
        radios = re.findall(
            rf'<input type="radio" name="{rating}" value="(\d*)" id="id_{rating}_\w+"( checked)?>', html
        )
        assert radios == [("", " checked"), *((str(n), "") for n in range(1, 11))]
    # The plan's linked interventions, under their goals.
    assert re.search(rf'value="{intervention("Deep Breathing").pk}"[^>]*>\s*Deep Breathing', html)
    assert "Search the intervention library" in html
    # The children are nested lists (indented), the fields sit inside the goal's item (revealed by CSS).
    assert html.count('<ol class="session-goals">') == 2


def test_viewing_the_page_is_audited(client, owner, plan, goals):
    client.force_login(owner)

    client.get(url(plan))

    assert AuditEvent.objects.filter(
        action="view", object_type="treatment.treatmentplan", object_id=str(plan.pk), user=owner, channel="web"
    ).exists()


# --- recording ---------------------------------------------------------------------------------


def test_one_submit_records_the_session_and_progress_on_two_goals(client, owner, patient, plan, goals, today):
    client.force_login(owner)
    session_date = today - datetime.timedelta(days=1)

    response = client.post(url(plan), form_data(goals, session_date))

    assert response.status_code == 302, text(response)
    assert response["Location"] == f"/plans/{plan.pk}/"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Session recorded — progress updated on 2 goals."]
    session = TherapySession.objects.get()
    assert (session.patient, session.plan, session.therapist) == (patient, plan, owner)
    assert (session.session_date, session.duration_minutes) == (session_date, 50)
    assert session.notes == "Reviewed the breathing log; introduced a wind-down routine."
    assert set(session.goals_addressed.all()) == {goals["objective"], goals["sleep"]}
    assert set(SessionIntervention.objects.values_list("intervention__name", "goal")) == {
        ("Deep Breathing", goals["objective"].pk),
        ("Sleep Hygiene", goals["sleep"].pk),
        ("Psychoeducation", None),
    }
    assert set(GoalProgress.objects.values_list("goal", "session", "rating", "progress_value", "recorded_by")) == {
        (goals["objective"].pk, session.pk, 7, "1 technique learned", owner.pk),
        (goals["sleep"].pk, session.pk, 4, "5 hours", owner.pk),
    }
    # The tree rolls up: objective 70 -> short-term 70 -> long-term 70; sleep 40;
    # overall (70 * 1 + 40 * 1/2) / 1.5 = 60.
    progress = dict(TreatmentGoal.objects.values_list("pk", "progress_percentage"))
    assert [progress[goals[k].pk] for k in ("objective", "short_term", "long_term", "sleep")] == [70, 70, 70, 40]
    plan.refresh_from_db()
    assert plan.overall_progress == 60
    event = AuditEvent.objects.get(action="create", object_type="treatment.therapysession")
    assert (event.user, event.channel, event.patient) == (owner, "web", patient)


def test_a_goal_ticked_without_progress_asks_once_then_is_addressed_only(client, owner, plan, goals, today):
    client.force_login(owner)
    data = {
        "session_date": today.isoformat(),
        "duration_minutes": "45",
        "notes": "Talked about the week.",
        goal_field(goals["long_term"]): "on",
    }
    before = written_state()

    asked = client.post(url(plan), {**data, "record": "1"})

    assert asked.status_code == 200
    assert written_state() == before
    assert asked.context["warnings"] == [
        (
            f"“{goals['long_term'].description}” is marked as addressed, but nothing is recorded for it "
            "(no note, rating or intervention).",
            f"id_{goal_field(goals['long_term'])}",
        )
    ]
    html = text(asked)
    assert "Check before recording" in html
    assert "The session was not recorded" not in html  # a question, not an error
    assert '<button type="submit" class="button button-warning" name="confirm" value="1" id="id_confirm">' in html
    assert "Talked about the week." in html
    assert re.search(rf'name="{goal_field(goals["long_term"])}"[^>]*checked', html)

    response = client.post(url(plan), {**data, "confirm": "1"})

    assert response.status_code == 302, text(response)
    session = TherapySession.objects.get()
    assert list(session.goals_addressed.all()) == [goals["long_term"]]
    assert not GoalProgress.objects.exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Session recorded — progress updated on 0 goals."]


def test_a_note_or_a_rating_addresses_a_goal_without_its_tick(client, owner, plan, goals, today):
    """What is written for a goal counts: no tick is needed (and none of the ticks is sent here)."""
    client.force_login(owner)
    data = form_data(goals, today)
    del data[goal_field(goals["sleep"])], data[goal_field(goals["objective"])]

    response = client.post(url(plan), data)

    assert response.status_code == 302, text(response)
    session = TherapySession.objects.get()
    assert set(session.goals_addressed.all()) == {goals["objective"], goals["sleep"]}
    assert set(GoalProgress.objects.values_list("goal", "rating")) == {
        (goals["objective"].pk, 7),
        (goals["sleep"].pk, 4),
    }


def test_a_parent_ticked_with_progress_on_its_objective_is_not_asked(client, owner, plan, goals, today):
    """Working on an objective addresses the goals above it: ticking the long-term goal too is plausible."""
    client.force_login(owner)
    objective = goals["objective"]
    data = {
        "session_date": today.isoformat(),
        "duration_minutes": "50",
        goal_field(goals["long_term"]): "on",
        goal_field(objective, "note"): "Breathing practised daily.",
        goal_field(objective, "rating"): "6",
    }

    response = client.post(url(plan), data)

    assert response.status_code == 302, text(response)
    assert set(TherapySession.objects.get().goals_addressed.all()) == {goals["long_term"], objective}


def test_a_session_before_the_plan_started_asks_once_and_keeps_everything(client, owner, plan, goals):
    client.force_login(owner)
    typo = plan.start_date.replace(year=plan.start_date.year - 7)
    data = form_data(goals, typo)
    before = written_state()

    asked = client.post(url(plan), data)

    assert asked.status_code == 200
    assert written_state() == before
    start = plan.start_date
    assert asked.context["warnings"] == [
        (
            f"The session date {typo.day} {typo:%b %Y} is before the plan started ({start.day} {start:%b %Y}).",
            "id_session_date",
        )
    ]
    html = text(asked)
    assert '<a href="#id_session_date">The session date' in html
    assert f'value="{typo.isoformat()}"' in html
    assert "Practised deep breathing daily; used it twice when anxious." in html
    assert re.search(rf'name="{goal_field(goals["sleep"], "rating")}" value="4" id="[^"]+" checked', html)

    response = client.post(url(plan), {**data, "confirm": "1"})

    assert response.status_code == 302, text(response)
    assert TherapySession.objects.get().session_date == typo
    assert GoalProgress.objects.count() == 2


def test_warnings_and_errors_come_together_in_one_submit(client, owner, plan, goals):
    """An early date (a question) and a bad duration with a rating missing its note (errors): all shown at
    once, so that one corrected submit with "Record anyway" records the session."""
    client.force_login(owner)
    typo = plan.start_date.replace(year=plan.start_date.year - 7)
    data = form_data(goals, typo, duration_minutes="0")
    data[goal_field(goals["sleep"], "note")] = ""
    before = written_state()

    response = client.post(url(plan), data)

    assert response.status_code == 200
    assert written_state() == before
    assert set(response.context["form"].errors) == {"duration_minutes", goal_field(goals["sleep"], "note")}
    # The sleep goal is being corrected (its rating wants a note): it is not also "addressed with nothing".
    assert [anchor for _message, anchor in response.context["warnings"]] == ["id_session_date"]
    html = text(response)
    assert "The session was not recorded" in html and "Check before recording" in html

    data.update(duration_minutes="50", confirm="1")
    data[goal_field(goals["sleep"], "note")] = "Sleeping about five hours."
    assert client.post(url(plan), data).status_code == 302
    assert TherapySession.objects.get().session_date == typo


def test_a_future_date_is_refused_with_a_clear_message(client, owner, plan, goals, today):
    client.force_login(owner)
    tomorrow = today + datetime.timedelta(days=1)
    before = written_state()

    response = client.post(url(plan), form_data(goals, tomorrow))

    assert response.status_code == 200
    assert written_state() == before
    message = (
        f"A session is recorded after it happens: {tomorrow:%Y-%m-%d} is in the future "
        f"(today is {today:%Y-%m-%d} at the practice)."
    )
    assert response.context["form"].errors["session_date"] == [message]
    assert message in text(response)
    assert 'aria-invalid="true"' in text(response)


def test_errors_keep_everything_typed(client, owner, plan, goals, today):
    """A rating without a note and a bad duration: nothing is written, every goal's input is still there."""
    client.force_login(owner)
    data = form_data(goals, today - datetime.timedelta(days=2), duration_minutes="0")
    data[goal_field(goals["sleep"], "note")] = ""
    before = written_state()

    response = client.post(url(plan), data)

    assert response.status_code == 200
    assert written_state() == before
    errors = response.context["form"].errors
    assert set(errors) == {"duration_minutes", goal_field(goals["sleep"], "note")}
    assert errors[goal_field(goals["sleep"], "note")] == ["Write what was observed to go with the value or rating."]
    html = text(response)
    assert "The session was not recorded" in html
    assert "Reviewed the breathing log; introduced a wind-down routine." in html
    assert "Practised deep breathing daily; used it twice when anxious." in html
    assert 'value="1 technique learned"' in html
    assert 'value="5 hours"' in html
    assert re.search(rf'name="{goal_field(goals["objective"], "rating")}" value="7" id="[^"]+" checked', html)
    assert re.search(rf'name="{goal_field(goals["sleep"], "rating")}" value="4" id="[^"]+" checked', html)
    assert re.search(rf'name="{goal_field(goals["objective"])}"[^>]*checked', html)
    assert re.search(rf'value="{intervention("Deep Breathing").pk}"[^>]*checked', html)
    # The library intervention added stays ticked.
    assert re.search(rf'name="extra_interventions" value="{intervention("Psychoeducation").pk}"[^>]*checked', html)


def test_service_refusals_land_next_to_their_goal(client, owner, plan, goals, today, monkeypatch):
    """Whatever the service refuses by position (progress[i], interventions[i]) is shown at that goal."""
    client.force_login(owner)

    def refuse(**kwargs):
        assert [p["goal"] for p in kwargs["progress"]] == [goals["objective"], goals["sleep"]]
        raise ValidationError(
            {
                "progress[1]": ["This goal is discontinued; reopen it before recording progress."],
                "interventions[0].intervention_id": ["This intervention is not in your practice's library."],
                "interventions[2].intervention_id": ["Psychoeducation has been retired from the library."],
                "plan_id": ["This plan is completed; its record is closed to changes."],
            }
        )

    monkeypatch.setattr("treatment.views.sessions.session_record", refuse)

    response = client.post(url(plan), form_data(goals, today))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors[goal_field(goals["sleep"])] == ["This goal is discontinued; reopen it before recording progress."]
    assert errors[goal_field(goals["objective"], "interventions")] == [
        "This intervention is not in your practice's library."
    ]
    assert errors["extra_interventions"] == ["Psychoeducation has been retired from the library."]
    assert errors["__all__"] == ["This plan is completed; its record is closed to changes."]
    assert "Sleeping about five hours; racing thoughts at bedtime." in text(response)


def test_a_plan_start_moved_while_saving_is_asked_in_the_services_words(client, owner, plan, goals, today, monkeypatch):
    """The page's check saw the plan before its start moved; the service, reading it under its lock, asks:
    the question and its "Record anyway" button come back, with everything typed."""
    client.force_login(owner)
    data = form_data(goals, today - datetime.timedelta(days=1))
    plan_update(by=SYSTEM, plan=plan, start_date=today, next_review_date=today + datetime.timedelta(days=90))
    before = written_state()
    monkeypatch.setattr("treatment.views.sessions.session_warnings", lambda **kwargs: [])

    response = client.post(url(plan), data)

    assert response.status_code == 200
    assert written_state() == before
    [(message, anchor)] = response.context["warnings"]
    assert message.startswith("The session date") and anchor == "id_session_date"
    assert not response.context["form"].errors
    assert 'name="confirm" value="1" id="id_confirm">Record anyway</button>' in text(response)
    assert client.post(url(plan), {**data, "confirm": "1"}).status_code == 302
    assert TherapySession.objects.get().session_date == today - datetime.timedelta(days=1)


def test_a_goal_discontinued_while_typing_keeps_the_note_and_writes_nothing(client, owner, plan, goals, today):
    client.force_login(owner)
    data = form_data(goals, today)
    goal_update(by=SYSTEM, goal=goals["sleep"], status="discontinued")
    before = written_state()

    response = client.post(url(plan), data)

    assert response.status_code == 200
    assert written_state() == before
    [error] = response.context["form"].non_field_errors()
    assert goals["sleep"].description in error
    assert "Sleeping about five hours; racing thoughts at bedtime." in error


def test_an_intervention_of_another_practice_is_not_a_choice(client, owner, plan, goals, today, other_practice):
    foreign = Intervention.objects.create(name="Harbor Only Method", modality="other", practice=other_practice)
    client.force_login(owner)
    before = written_state()

    response = client.post(url(plan), form_data(goals, today, extra_interventions=[str(foreign.pk)]))

    assert response.status_code == 200
    assert "extra_interventions" in response.context["form"].errors
    assert written_state() == before


# --- the last session carries forward ----------------------------------------------------------


def test_each_goal_shows_its_last_note_and_rating_and_the_last_interventions_are_offered(
    client, owner, plan, goals, today
):
    client.force_login(owner)
    last_week = today - datetime.timedelta(days=7)
    assert client.post(url(plan), form_data(goals, last_week)).status_code == 302

    response = client.get(url(plan))

    html = text(response)
    day = f"{last_week.day} {last_week:%b %Y}"
    assert re.search(
        rf"Last time, {day} · rated 7/10 · 1 technique learned:</span>\s*"
        r'<span class="session-goal-last-note">Practised deep breathing daily; used it twice when anxious.</span>',
        html,
    )
    assert re.search(rf"Last time, {day} · rated 4/10 · 5 hours:", html)
    assert html.count("Last time,") == 2  # the goals without an entry show none
    assert f"Last session, {day}: Deep Breathing, Psychoeducation, Sleep Hygiene." in html
    # The button ticks each goal's checkbox and the library one, which is listed (unticked) to be ticked.
    form = response.context["form"]
    rows = {row.goal.pk: row for row in form.rows}
    psychoeducation = intervention("Psychoeducation")
    assert sorted(response.context["same_as_last"]) == sorted(
        [
            rows[goals["objective"].pk].intervention_options[0][3],
            rows[goals["sleep"].pk].intervention_options[0][3],
            f"extra-{psychoeducation.pk}",
        ]
    )
    assert 'data-same-as-last data-tick="' in html
    assert re.search(
        rf'<input type="checkbox" name="extra_interventions" value="{psychoeducation.pk}" '
        rf'id="extra-{psychoeducation.pk}">\s*<span>Psychoeducation <span class="muted">· [^<]* · last session',
        html,
    )
    # Nothing is ticked for the therapist: the last session is offered, not repeated.
    assert not re.search(r'name="goal_[0-9a-f]+_interventions" value="[^"]+" id="[^"]+" checked', html)


def test_the_library_search_keeps_offering_the_last_sessions_interventions(client, owner, plan, goals, today):
    client.force_login(owner)
    assert client.post(url(plan), form_data(goals, today)).status_code == 302
    psychoeducation = intervention("Psychoeducation")

    response = client.get(f"/plans/{plan.pk}/sessions/library/", {"library_q": "psycho"}, HTTP_HX_REQUEST="true")

    html = text(response)
    assert html.count(f'value="{psychoeducation.pk}"') == 1  # offered once, not again among the matches
    assert "· last session" in html


def test_a_first_session_has_nothing_to_carry(client, owner, plan, goals):
    client.force_login(owner)

    html = text(client.get(url(plan)))

    assert "Last time," not in html
    assert "Last session," not in html
    assert "Same interventions as last time" not in html


# --- the library search ------------------------------------------------------------------------


def test_the_library_search_offers_matches_and_keeps_the_ticked_ones(client, owner, plan, goals, other_practice):
    Intervention.objects.create(name="Harbor Breathing Method", modality="other", practice=other_practice)
    client.force_login(owner)
    psychoeducation = intervention("Psychoeducation")

    response = client.get(
        f"/plans/{plan.pk}/sessions/library/",
        {"library_q": "breathing", "extra_interventions": [str(psychoeducation.pk)]},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    html = text(response)
    assert "Deep Breathing" in html
    assert "Harbor Breathing Method" not in html
    assert re.search(rf'value="{psychoeducation.pk}"[^>]*checked', html)
    assert "<html" not in html  # a fragment


def test_without_javascript_the_library_search_is_a_round_trip_that_keeps_the_form(client, owner, plan, goals, today):
    client.force_login(owner)
    data = form_data(goals, today, library_q="mindful", search_library="1")
    del data["record"]

    response = client.post(url(plan), data)

    assert response.status_code == 200
    assert not TherapySession.objects.exists()
    html = text(response)
    assert "The session was not recorded" not in html  # nothing judged yet
    assert "Practised deep breathing daily; used it twice when anxious." in html
    assert re.search(r'name="extra_interventions" value="[^"]+" id="[^"]+">\s*<span>Mindful', html)


# --- access ------------------------------------------------------------------------------------

ACCESS = [
    ("owner", 200, 302),
    ("colleague", 404, 404),
    ("supervisor", 403, 403),
    ("practice_admin", 200, 302),
    ("outsider_admin", 404, 404),
]


@pytest.mark.parametrize(("role", "get_status", "post_status"), ACCESS, ids=[a[0] for a in ACCESS])
def test_who_may_record_a_session(client, cast, plan, goals, today, role, get_status, post_status):
    client.force_login(cast[role])
    before = written_state()

    assert client.get(url(plan)).status_code == get_status
    assert client.get(f"/plans/{plan.pk}/sessions/library/", {"library_q": "breath"}).status_code == get_status
    response = client.post(url(plan), form_data(goals, today))

    assert response.status_code == post_status
    if post_status == 302:
        assert TherapySession.objects.count() == 1
        assert GoalProgress.objects.count() == 2
    else:
        assert written_state() == before
        assert "Practised deep breathing" not in text(response)


def test_signed_out_is_sent_to_sign_in(client, plan):
    response = client.get(url(plan))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_unknown_plan_is_404(client, owner):
    client.force_login(owner)

    assert client.get("/plans/00000000-0000-0000-0000-000000000000/sessions/new/").status_code == 404


@pytest.mark.parametrize("status", ["completed", "discontinued"])
def test_a_closed_plan_has_no_session_page(client, owner, plan, goals, today, status):
    plan_update(by=SYSTEM, plan=plan, status=status, status_reason="Closed in a test.")
    client.force_login(owner)
    before = written_state()

    page = client.get(url(plan))
    assert page.status_code == 409
    assert f"This plan is {status}; its record is closed to changes." in page.content.decode()
    assert client.post(url(plan), form_data(goals, today)).status_code == 409
    assert written_state() == before


def test_an_on_hold_plan_still_takes_sessions(client, owner, plan, goals, today):
    plan_update(by=SYSTEM, plan=plan, status="on_hold")
    client.force_login(owner)

    assert client.post(url(plan), form_data(goals, today)).status_code == 302
    assert TherapySession.objects.count() == 1


def test_a_practice_admin_names_the_therapist_who_held_the_session(
    client, practice_admin, colleague, owner, plan, goals, today
):
    """A practice admin (entering a paper note, say) records for a clinician: the plan's by default."""
    client.force_login(practice_admin)

    page = client.get(url(plan))
    assert "Therapist who held the session" in text(page)
    assert page.context["form"]["therapist"].value() == owner.pk

    response = client.post(url(plan), form_data(goals, today, therapist=str(colleague.pk)))

    assert response.status_code == 302, text(response)
    session = TherapySession.objects.get()
    assert session.therapist == colleague
    assert set(GoalProgress.objects.values_list("recorded_by", flat=True)) == {practice_admin.pk}


def test_a_practice_admin_cannot_name_a_clinician_of_another_practice(
    client, practice_admin, plan, goals, today, other_practice
):
    stranger = UserFactory(practice=other_practice)
    client.force_login(practice_admin)

    response = client.post(url(plan), form_data(goals, today, therapist=str(stranger.pk)))

    assert response.status_code == 200
    assert "therapist" in response.context["form"].errors
    assert not TherapySession.objects.exists()


def test_a_clinician_is_not_offered_a_therapist_choice(client, owner, plan, goals):
    client.force_login(owner)

    response = client.get(url(plan))

    assert "therapist" not in response.context["form"].fields
    assert "Therapist who held the session" not in text(response)


# --- cost --------------------------------------------------------------------------------------


def _grow(plan, n):
    """n more long-term goals, each with a short-term goal with an objective, each linked to an intervention."""
    library = list(Intervention.objects.filter(is_system=True).order_by("name")[:3])
    for i in range(n):
        links = [{"intervention": library[i % 3]}]
        long_term = GoalFactory(plan=plan, priority=1 + i % 10, interventions=links)
        short_term = GoalFactory(parent_goal=long_term, goal_type="short_term", interventions=links)
        GoalFactory(parent_goal=short_term, goal_type="objective", interventions=links)


@pytest.mark.parametrize("user", ["owner", "practice_admin"])
def test_the_page_costs_the_same_queries_whatever_the_number_of_goals(
    client, cast, plan, goals, django_assert_max_num_queries, user
):
    client.force_login(cast[user])
    client.get(url(plan))  # warm the session

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small, django_assert_max_num_queries(15):
        assert client.get(url(plan)).status_code == 200
    _grow(plan, 10)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url(plan))
    assert response.status_code == 200
    assert len(response.context["form"].rows) == 4 + 30
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_page_costs_the_same_queries_whatever_the_number_of_sessions_and_entries(client, owner, plan, goals, today):
    """The last entry of every goal and the last session's interventions are read once, however many."""
    client.force_login(owner)
    assert client.post(url(plan), form_data(goals, today - datetime.timedelta(days=30))).status_code == 302

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url(plan)).status_code == 200
    for days in range(1, 6):
        assert client.post(url(plan), form_data(goals, today - datetime.timedelta(days=days))).status_code == 302
    with CaptureQueriesContext(connection) as large:
        response = client.get(url(plan))
    assert response.status_code == 200
    assert GoalProgress.objects.count() == 12
    assert len(large.captured_queries) == len(small.captured_queries)


def test_another_plan_of_the_patient_is_not_mixed_in(client, owner, patient, plan, goals):
    other = PlanFactory(patient=patient, title="Sleep plan")
    stranger = GoalFactory(plan=other, description="A goal of the other plan")
    client.force_login(owner)

    response = client.get(url(plan))

    assert stranger.description not in text(response)
