"""Administering a measure from the patient page, its result, the safety prompt and banner, the risk assessment.

Every item is required and an error keeps every answer given; the server scores what is sent; a PHQ-9 with
item 9 above 0 shows the prompt to assess risk at once, and the patient page carries a banner until a clinician
records the assessment, whose flag history stays on the patient page.
"""

import datetime

import pytest
from django.contrib.messages import get_messages

from accounts.audit import AuditContext
from treatment.instruments import PHQ9
from treatment.models import Measurement, SafetyAssessment, SafetyFlag, SafetyFlagStatus
from treatment.services.measures import measurement_record, safety_assessment_record

pytestmark = pytest.mark.django_db


def administer_url(patient, code="phq9"):
    return f"/patients/{patient.pk}/measures/{code}/new/"


def answers_data(answers, day, code="phq9"):
    data = {"administered_on": day.isoformat()}
    data.update({f"{code}_item_{n}": str(value) for n, value in enumerate(answers, start=1) if value is not None})
    return data


def test_the_page_lists_every_item_with_one_radio_per_answer_and_states_the_item_9_caveat(client, owner, patient):
    client.force_login(owner)

    response = client.get(administer_url(patient))

    assert response.status_code == 200
    html = response.content.decode()
    for item in PHQ9.items:
        assert html.count(f'name="phq9_item_{item.number}"') == 4
    assert "Item 9 alone is not a suicide-risk screen" in html
    assert PHQ9.copyright in html
    assert 'id="id_phq9_item_3_0"' in html  # Django's ids: the error summary links to the first answer
    assert "js/measure-score.js" in html and "0–4 minimal" in html  # noqa: RUF001


def test_a_full_submission_is_scored_by_the_server_and_shown(client, owner, patient):
    client.force_login(owner)
    day = patient.practice.today()

    response = client.post(administer_url(patient), answers_data([2, 2, 1, 1, 1, 1, 1, 1, 0], day))

    measurement = Measurement.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == f"/measurements/{measurement.pk}/"
    assert (measurement.total_score, measurement.severity, measurement.safety_flag) == (10, "Moderate", False)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["PHQ-9 recorded: 10 of 27 (moderate)."]
    page = client.get(response["Location"]).content.decode()
    assert "Total 10</strong> of 27" in page and "<strong>Moderate</strong>" in page
    assert "Safety flag raised" not in page


def test_unanswered_items_are_named_and_the_answers_given_kept(client, owner, patient):
    client.force_login(owner)
    day = patient.practice.today()

    response = client.post(administer_url(patient), answers_data([3, None, 1, 1, None, 1, 1, 1, 0], day))

    assert response.status_code == 400
    assert not Measurement.objects.exists()
    html = response.content.decode()
    assert "The measure was not recorded" in html
    assert '<a href="#id_phq9_item_2_0">PHQ-9 item 2, “Feeling down, depressed, or hopeless”</a>' in html
    assert '<a href="#id_phq9_item_5_0">PHQ-9 item 5' in html
    assert html.count("Answer this item: the total counts every item") == 4  # summary and field, twice
    assert 'value="3" id="id_phq9_item_1_3" checked' in html


def test_a_future_date_and_an_answer_not_offered_are_refused(client, owner, patient):
    client.force_login(owner)
    tomorrow = patient.practice.today() + datetime.timedelta(days=1)

    response = client.post(administer_url(patient), answers_data([0, 0, 0, 0, 0, 0, 0, 0, 7], tomorrow))

    assert response.status_code == 400
    html = response.content.decode()
    assert "is in the future" in html
    assert "Select a valid choice. 7 is not one of the available choices." in html
    assert not Measurement.objects.exists()


def test_an_unknown_instrument_is_404(client, owner, patient):
    client.force_login(owner)
    assert client.get(administer_url(patient, "bdi2")).status_code == 404


def test_item_9_shows_the_prompt_at_once_and_the_banner_until_assessed(client, owner, patient):
    client.force_login(owner)
    day = patient.practice.today()

    response = client.post(administer_url(patient), answers_data([1, 1, 1, 1, 1, 1, 1, 1, 1], day), follow=True)

    flag = SafetyFlag.objects.get(patient=patient)
    html = response.content.decode()
    assert "Safety flag raised: assess the risk now" in html
    assert f'action="/patients/{patient.pk}/safety-assessment/"' in html
    patient_page = client.get(patient.get_absolute_url()).content.decode()
    assert "Safety flag: assess risk" in patient_page
    assert f'href="/patients/{patient.pk}/safety-assessment/"' in patient_page

    refused = client.post(f"/patients/{patient.pk}/safety-assessment/", {"note": "  "})
    assert refused.status_code == 400
    assert "The assessment was not recorded" in refused.content.decode()
    flag.refresh_from_db()
    assert flag.status == SafetyFlagStatus.OPEN

    done = client.post(f"/patients/{patient.pk}/safety-assessment/", {"note": "Asked directly; no plan or intent."})
    assert done.status_code == 302 and done["Location"] == f"{patient.get_absolute_url()}#safety-heading"
    flag.refresh_from_db()
    assessment = SafetyAssessment.objects.get(patient=patient)
    assert (flag.status, flag.cleared_by, flag.assessment) == (SafetyFlagStatus.CLEARED, owner, assessment)
    patient_page = client.get(patient.get_absolute_url()).content.decode()
    assert "Safety flag: assess risk" not in patient_page
    # The history stays: who cleared it, when, and what they found.
    assert "Asked directly; no plan or intent." in patient_page
    assert f"{owner.get_full_name()}, {flag.cleared_at.astimezone(patient.practice.zoneinfo):%-d %b %Y}" in patient_page


def test_the_patient_page_charts_each_instrument_scored(client, owner, patient):
    by = AuditContext.system("tests", user=owner)
    today = patient.practice.today()
    for days, answers in ((40, [2] * 9), (10, [1] * 8 + [0])):
        measurement_record(
            by=by, patient=patient, instrument="phq9", answers=answers, administered_on=today - datetime.timedelta(days)
        )
    client.force_login(owner)

    html = client.get(patient.get_absolute_url()).content.decode()

    assert html.count("<svg") == 1
    assert "PHQ-9 scores, oldest first" in html
    assert "Latest: <strong>8</strong> (mild)" in html
    assert "Safety flag: assess risk" in html  # the first one's item 9 was 2
    safety_assessment_record(by=by, patient=patient, note="Assessed.")
    assert "Safety flag: assess risk" not in client.get(patient.get_absolute_url()).content.decode()


def test_the_banner_and_the_flag_history_link_to_the_measurement_that_raised_the_flag(client, owner, patient, plan):
    by = AuditContext.system("tests", user=owner)
    day = patient.practice.today()
    measurement = measurement_record(by=by, patient=patient, instrument="phq9", answers=[2] * 8 + [1])
    client.force_login(owner)
    link = f'<a href="/measurements/{measurement.pk}/">'
    given = f"PHQ-9 given {day:%-d %b %Y} (total 17)</a>"

    patient_page = client.get(patient.get_absolute_url()).content.decode()
    plan_page = client.get(f"/plans/{plan.pk}/").content.decode()

    for html in (patient_page, plan_page):  # the banner
        assert f"{link}{given}" in html
    assert f"{link}PHQ-9 total 17</a>" in patient_page  # the history's row
    safety_assessment_record(by=by, patient=patient, note="Assessed.")
    patient_page = client.get(patient.get_absolute_url()).content.decode()
    assert given not in patient_page and f"{link}PHQ-9 total 17</a>" in patient_page
    assert client.get(f"/measurements/{measurement.pk}/").status_code == 200
