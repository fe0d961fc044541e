"""Every error of one submit at once: the plan builder shows a missing title, an end date before the start and a
bad diagnosis code together, in one error summary whose links lead to each field; the services refuse all that
is wrong at once too (the API's 400 names every field).
"""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.audit import AuditContext
from treatment.models import TreatmentPlan
from treatment.services import plan_create, plan_update

pytestmark = pytest.mark.django_db

THREE_WRONG = {
    "title": "",
    "start_date": "2026-09-01",
    "target_end_date": "2026-08-01",
    "review_frequency_days": "90",
    "diagnosis_codes": ["F41.1"],
    "diagnosis_codes_text": "F99.999",
    "presenting_problems": ["chronic worry"],
}
TITLE_ERROR = "This field is required."
END_ERROR = "The target end date cannot be before the start date."
CODE_ERROR = "Diagnosis 2: 'F99.999' is not an ICD-10-CM code."


def summary_links(body: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="alert alert-error error-summary".*?</div>', body, re.S).group(0)
    return re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a>', summary)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.mark.parametrize("page", ["create", "edit"])
def test_one_submit_with_three_errors_shows_all_three(owner_client, patient, plan, page):
    url = reverse("plan-create", args=[patient.pk]) if page == "create" else reverse("plan-edit", args=[plan.pk])
    before = list(TreatmentPlan.objects.values_list("pk", "title", "updated_at"))

    response = owner_client.post(url, {**THREE_WRONG, "etag": plan.etag if page == "edit" else ""})

    body = response.content.decode()
    assert response.status_code == 200
    assert "The plan was not saved" in body
    assert "summary_id" not in body  # the include's comment is not printed
    assert summary_links(body) == [
        ("id_title", "Title"),
        ("id_target_end_date", "Target end date"),
        ("diagnosis-q", "Diagnoses"),
    ]
    assert f'id="id_title_error">{TITLE_ERROR}' in body
    assert f'id="id_target_end_date_error">{END_ERROR}' in body
    assert CODE_ERROR.replace("'", "&#x27;") in body
    # What was typed stays.
    assert 'value="F99.999"' in body and 'name="diagnosis_codes" value="F41.1"' in body
    assert 'value="2026-08-01"' in body
    assert list(TreatmentPlan.objects.values_list("pk", "title", "updated_at")) == before


def test_the_summary_links_a_presenting_problem_error_to_the_first_problem(owner_client, patient):
    response = owner_client.post(
        reverse("plan-create", args=[patient.pk]), {**THREE_WRONG, "presenting_problems": ["x" * 201]}
    )

    assert ("problem-1", "Presenting problems") in summary_links(response.content.decode())


def test_plan_create_refuses_every_wrong_field_at_once(owner, patient):
    with pytest.raises(ValidationError) as refused:
        plan_create(
            by=AuditContext.system("tests", user=owner),
            patient=patient,
            title="",
            start_date=datetime.date(2026, 9, 1),
            target_end_date=datetime.date(2026, 8, 1),
            diagnosis_codes=[{"code": "F99.999"}],
            presenting_problems=["x" * 201],
        )

    assert sorted(refused.value.message_dict) == ["diagnosis_codes", "presenting_problems", "target_end_date", "title"]
    assert not TreatmentPlan.objects.filter(patient=patient).exists()


def test_plan_update_refuses_every_wrong_field_at_once(owner, plan):
    before = TreatmentPlan.objects.get(pk=plan.pk).updated_at

    with pytest.raises(ValidationError) as refused:
        plan_update(
            by=AuditContext.system("tests", user=owner),
            plan=plan,
            title="",
            target_end_date=plan.start_date.replace(year=plan.start_date.year - 1),
            diagnosis_codes=[{"code": "F41"}],
        )

    assert sorted(refused.value.message_dict) == ["diagnosis_codes", "target_end_date", "title"]
    assert TreatmentPlan.objects.get(pk=plan.pk).updated_at == before


def test_the_api_names_every_field_the_service_refuses_at_once(api, owner, plan):
    response = api.as_(owner).patch(
        f"/api/v1/treatment-plans/{plan.pk}",
        {"target_end_date": "2000-01-01", "diagnosis_codes": [{"code": "F99.999"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "diagnosis_codes": ["Diagnosis 1: 'F99.999' is not an ICD-10-CM code."],
        "target_end_date": [END_ERROR],
    }


# --- every other form: all its errors in the same summary, each linked to its field ----------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_patient_form_shows_every_error_at_once(owner_client):
    data = {
        "first_name": "",
        "last_name": "",
        "date_of_birth": "31/31/2020",
        "email": "not-an-email",
        "status": "active",
    }

    response = owner_client.post(reverse("patient-create"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "The patient was not saved" in body
    assert summary_links(body) == [
        ("id_first_name", "First name"),
        ("id_last_name", "Last name"),
        ("id_date_of_birth", "Date of birth"),
        ("id_email", "Email"),
    ]


def test_the_intervention_form_shows_every_error_at_once(owner_client):
    data = {"name": "", "description": "", "modality": "not-a-modality", "category": "", "evidence_level": "x"}

    response = owner_client.post(reverse("intervention-create"), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "The intervention was not saved" in body
    assert [anchor for anchor, _ in summary_links(body)] == [
        "id_name",
        "id_modality",
        "id_category",
        "id_evidence_level",
    ]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "page"])
def test_the_goal_form_shows_every_error_at_once(owner_client, plan, htmx):
    data = {"description": "", "priority": "11", "target_date": "someday", "baseline_value": "x" * 101}

    response = owner_client.post(reverse("goal-add", args=[plan.pk]), data, **(HTMX if htmx else {}))

    body = response.content.decode()
    assert "The goal was not saved" in body
    assert summary_links(body) == [
        ("goal-new-root-description", "Description"),
        ("goal-new-root-baseline_value", "Baseline value"),
        ("goal-new-root-target_date", "Target date"),
        ("goal-new-root-priority", "Priority (1 = highest)"),
    ]
    assert 'id="goal-form-new-root-errors"' in body


def test_the_goal_intervention_form_shows_every_error_at_once(owner_client, tree):
    from treatment.models import GoalIntervention

    link = GoalIntervention.objects.get(goal=tree["objective"])
    data = {"frequency": "x" * 51, "notes": "", "effectiveness_rating": "9"}

    response = owner_client.post(reverse("goal-intervention-edit", args=[link.pk]), data, **HTMX)

    body = response.content.decode()
    assert summary_links(body) == [
        (f"link-{link.pk}-frequency", "Frequency"),
        (f"link-{link.pk}-effectiveness_rating", "Effectiveness (1–5)"),  # noqa: RUF001
    ]
    assert f'id="link-form-{link.pk}-errors"' in body


def test_the_review_form_shows_the_forms_and_the_services_errors_at_once(owner_client, plan, tree):
    data = {"review_date": "not a date", "summary": "  ", "next_review_date": "", "etag": plan.etag}

    response = owner_client.post(reverse("plan-review", args=[plan.pk]), data)

    body = response.content.decode()
    assert response.status_code == 200
    assert "The review was not recorded" in body
    assert summary_links(body) == [("id_review_date", "Review date"), ("id_summary", "Summary")]
    assert "Write what the review found." in body


def test_the_report_form_shows_every_error_at_once(owner_client, plan):
    data = {"period_start": "soon", "period_end": "0001-01-05"}

    response = owner_client.post(reverse("plan-report-create", args=[plan.pk]), data, **HTMX)

    body = response.content.decode()
    assert "No report was asked for" in body
    assert summary_links(body) == [("report-period-start", "Period start"), ("report-period-end", "Period end")]
