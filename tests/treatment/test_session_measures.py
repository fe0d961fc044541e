"""A measure administered on the session page: "PHQ-9 due" by the plan's cadence, the items beside the session's,
recorded against the session once it is; an instrument started is answered in full, and "Clear answers" drops it."""

import datetime

import pytest
from django.contrib.messages import get_messages

from accounts.audit import AuditContext
from treatment.measure_selectors import measures_due
from treatment.models import Measurement, TherapySession
from treatment.services import goal_update, session_record
from treatment.services.measures import measurement_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def by(owner):
    return AuditContext.system("tests", user=owner)


@pytest.fixture
def driven(tree, by):
    """The conftest objective, driven by the PHQ-9 towards 5."""
    return goal_update(by=by, goal=tree["objective"], measure_instrument="phq9", measure_target_score=5)


def url(plan):
    return f"/plans/{plan.pk}/sessions/new/"


def session_data(day, answers=(), **extra):
    data = {"session_date": day.isoformat(), "duration_minutes": "50", "notes": "Reviewed the week.", "record": "1"}
    data.update({f"phq9_item_{n}": str(v) for n, v in enumerate(answers, start=1) if v is not None})
    return {**data, **extra}


def test_the_page_says_phq9_due_and_offers_its_items(client, owner, plan, driven):
    client.force_login(owner)

    html = client.get(url(plan)).content.decode()

    assert "<strong>PHQ-9 due</strong> (PHQ-9 not yet given)" in html
    assert html.count('name="phq9_item_9"') == 4
    assert "Item 9 alone is not a suicide-risk screen" in html
    assert "js/measure-score.js" in html


def test_not_due_is_offered_folded(client, owner, plan, patient, driven, by):
    measurement_record(by=by, patient=patient, instrument="phq9", answers=[1] * 9)
    client.force_login(owner)

    html = client.get(url(plan)).content.decode()

    assert "PHQ-9 due" not in html
    assert "Administer the PHQ-9 in this session" in html
    assert [(m.instrument, m.due) for m in measures_due(plan)] == [("phq9", False)]


def test_a_plan_without_instruments_shows_no_measure(client, owner, plan, tree):
    client.force_login(owner)
    html = client.get(url(plan)).content.decode()
    assert "phq9_item_1" not in html and "measure-score.js" not in html


def test_the_answers_are_recorded_with_the_session_and_move_the_objective(client, owner, plan, patient, driven, by):
    before = plan.patient.practice.today() - datetime.timedelta(days=30)
    measurement_record(by=by, patient=patient, instrument="phq9", answers=[2] * 9, administered_on=before)  # 18
    client.force_login(owner)
    today = patient.practice.today()

    response = client.post(url(plan), session_data(today, [1, 1, 1, 1, 1, 1, 1, 0, 0]))

    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    session = TherapySession.objects.get(plan=plan)
    measurement = Measurement.objects.get(session=session)
    assert (measurement.total_score, measurement.administered_on) == (7, today)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Session recorded — progress updated on 0 goals. PHQ-9 recorded: 7 of 27 (mild)."
    ]
    driven.refresh_from_db()
    # Baseline 18 (the first score, none being before the plan's start), target 5: 100 * (18 - 7) / (18 - 5).
    assert (driven.measure_baseline_used, driven.measure_last_score, driven.progress_percentage) == (18, 7, 85)
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "PHQ-9 scores" in page and '<span class="muted">Current</span> 7' in page


def test_an_instrument_started_must_be_answered_in_full_with_the_answers_kept(client, owner, plan, driven):
    client.force_login(owner)
    today = plan.patient.practice.today()

    response = client.post(url(plan), session_data(today, [3, 2, None, 1, 1, 1, 1, 1, None]))

    assert response.status_code == 200
    assert not TherapySession.objects.exists() and not Measurement.objects.exists()
    html = response.content.decode()
    assert "The session was not recorded" in html
    assert (
        '<a href="#id_phq9_item_3_0">PHQ-9 item 3, “Trouble falling or staying asleep, or sleeping too much”</a>'
        in html
    )
    assert '<a href="#id_phq9_item_9_0">PHQ-9 item 9' in html
    assert "Answer this item too, or choose “Clear answers” to record the session without the PHQ-9." in html
    assert 'value="3" id="id_phq9_item_1_3" checked' in html
    assert 'value="2" id="id_phq9_item_2_2" checked' in html


def test_clear_answers_without_javascript_keeps_the_rest_and_drops_the_measure(client, owner, plan, driven):
    client.force_login(owner)
    today = plan.patient.practice.today()

    response = client.post(url(plan), session_data(today, [3, 2], clear_measure="phq9", record=""))

    assert response.status_code == 200
    assert not TherapySession.objects.exists()
    html = response.content.decode()
    assert "checked" not in html.split('id="measure-phq9-heading"')[1].split("</section>")[0]
    assert "Reviewed the week." in html and "The session was not recorded" not in html


def test_item_9_leads_to_the_safety_prompt_after_the_session(client, owner, plan, driven):
    client.force_login(owner)
    today = plan.patient.practice.today()

    response = client.post(url(plan), session_data(today, [0, 0, 0, 0, 0, 0, 0, 0, 1]))

    measurement = Measurement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/measurements/{measurement.pk}/"
    assert "Safety flag raised: assess the risk now" in client.get(response["Location"]).content.decode()
    assert "Safety flag: assess risk" in client.get(f"/plans/{plan.pk}/").content.decode()


def test_the_cadence_by_sessions_makes_it_due_again(client, owner, plan, driven, by, patient):
    today = patient.practice.today()
    given = today - datetime.timedelta(days=10)
    measurement_record(by=by, patient=patient, instrument="phq9", answers=[1] * 9, administered_on=given)
    for days in (9, 6, 3, 1):
        session_record(
            by=by,
            patient=patient,
            plan=plan,
            session_date=today - datetime.timedelta(days=days),
            duration_minutes=50,
            notes="",
            goals=[],
            interventions=[],
            progress=[],
        )
    client.force_login(owner)

    html = client.get(url(plan)).content.decode()

    # The practice's default: every 4 sessions (or 30 days), `treatment.measure_selectors`.
    assert "<strong>PHQ-9 due</strong> (4 sessions since the last PHQ-9 (every 4))" in html
