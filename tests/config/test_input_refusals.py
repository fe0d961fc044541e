"""No input makes a 500 (issue 10): out-of-range dates and NUL characters are refused on the field they came
in, in the API (a 400 naming the field) and on every form (a field error, with what was typed kept); the
services check date bounds before they compute with a date; query parameters are parsed strictly.

Each case was a 500 before (OverflowError, DataError) or a silently dropped parameter.
"""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import Patient
from accounts.validators import CLINICAL_DATE_MESSAGE, NUL_MESSAGE, latest_today
from reviews.models import PlanReview, ProgressReport
from reviews.services.reports import report_request
from reviews.services.reviews import review_record
from treatment.models import GoalProgress, TherapySession, TreatmentGoal, TreatmentPlan
from treatment.services import goal_add, plan_create

pytestmark = pytest.mark.django_db

SYSTEM = AuditContext.system("tests")
HTMX = {"HTTP_HX_REQUEST": "true"}
PLAN_BODY = {"title": "Anxiety Management Plan", "start_date": "2026-09-01", "review_frequency_days": 90}
DATETIME_MESSAGE = "Enter a date and time between 1900-01-01 and 2200-12-31."


def plans_url(patient):
    return f"/api/v1/patients/{patient.pk}/treatment-plans"


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def today(practice):
    return practice.today()


# --- clinical dates through the API ----------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"start_date": "9999-12-31"},
        {"start_date": "9999-12-30", "review_frequency_days": 365},
        {"start_date": "0001-01-01"},
        {"start_date": "1899-12-31"},
    ],
    ids=["9999-12-31", "9999-12-30+365", "0001-01-01", "1899-12-31"],
)
def test_a_plan_start_out_of_range_is_a_400_on_start_date(api, owner, patient, changes):
    response = api.as_(owner).post(plans_url(patient), {**PLAN_BODY, **changes}, format="json")

    assert response.status_code == 400
    assert response.json() == {"start_date": [CLINICAL_DATE_MESSAGE]}
    assert not TreatmentPlan.objects.exists()


def test_every_date_of_a_plan_is_bounded(api, owner, patient):
    body = {**PLAN_BODY, "target_end_date": "9999-12-31", "next_review_date": "0001-01-01"}

    response = api.as_(owner).post(plans_url(patient), body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "target_end_date": [CLINICAL_DATE_MESSAGE],
        "next_review_date": [CLINICAL_DATE_MESSAGE],
    }


def test_a_first_review_computed_past_the_range_is_refused_on_its_field(api, owner, patient):
    body = {**PLAN_BODY, "start_date": "2200-12-30", "review_frequency_days": 365}

    response = api.as_(owner).post(plans_url(patient), body, format="json")

    assert response.status_code == 400
    assert response.json() == {"next_review_date": [CLINICAL_DATE_MESSAGE]}


def test_a_plan_edit_out_of_range_is_a_400(api, owner, plan):
    response = api.as_(owner).patch(
        f"/api/v1/treatment-plans/{plan.pk}", {"next_review_date": "9999-12-31"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"next_review_date": [CLINICAL_DATE_MESSAGE]}
    assert TreatmentPlan.objects.get(pk=plan.pk).next_review_date == datetime.date(2026, 11, 30)


def test_a_goal_target_date_out_of_range_is_a_400(api, owner, plan):
    body = {"goal_type": "long_term", "description": "Sleep 7 hours", "target_date": "9999-12-31"}

    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/goals", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"target_date": [CLINICAL_DATE_MESSAGE]}
    assert not TreatmentGoal.objects.exists()


def test_a_session_date_out_of_range_is_a_400(api, owner, patient, plan):
    body = {"plan_id": str(plan.pk), "session_date": "1899-12-31", "duration_minutes": 50}

    response = api.as_(owner).post(f"/api/v1/patients/{patient.pk}/sessions", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"session_date": [CLINICAL_DATE_MESSAGE]}
    assert not TherapySession.objects.exists()


@pytest.mark.parametrize(
    ("recorded_at", "message"),
    [
        ("1899-12-31T23:00:00Z", DATETIME_MESSAGE),
        # Beyond datetime's range once in UTC: DRF's own refusal, on the field.
        ("0001-01-01T00:00:00+05:00", "Datetime value out of range."),
    ],
    ids=["1899", "year-1"],
)
def test_a_progress_entry_before_the_range_is_a_400(api, owner, tree, recorded_at, message):
    body = {"progress_note": "Practised", "rating": 6, "recorded_at": recorded_at}

    response = api.as_(owner).post(f"/api/v1/goals/{tree['objective'].pk}/progress", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"recorded_at": [message]}
    assert not GoalProgress.objects.exists()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"review_date": "0001-01-01"}, {"review_date": [CLINICAL_DATE_MESSAGE]}),
        ({"next_review_date": "9999-12-31"}, {"next_review_date": [CLINICAL_DATE_MESSAGE]}),
    ],
    ids=["review_date", "next_review_date"],
)
def test_review_dates_out_of_range_are_a_400(api, owner, plan, today, changes, expected):
    body = {"review_date": today.isoformat(), "summary": "Twelve-week review.", **changes}

    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/review", body, format="json")

    assert response.status_code == 400
    assert response.json() == expected
    assert not PlanReview.objects.exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"period_end": "0001-01-05"}, {"period_end": [CLINICAL_DATE_MESSAGE]}),
        ({"period_start": "9999-12-31"}, {"period_start": [CLINICAL_DATE_MESSAGE]}),
    ],
    ids=["period_end", "period_start"],
)
def test_report_periods_out_of_range_are_a_400(api, owner, plan, body, expected):
    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/progress-reports", body, format="json")

    assert response.status_code == 400
    assert response.json() == expected
    assert not ProgressReport.objects.exists()


def test_a_date_of_birth_in_the_future_or_before_1900_is_a_400(api, owner):
    future = (latest_today() + datetime.timedelta(days=1)).isoformat()
    body = {"first_name": "Noah", "last_name": "Fischer"}

    in_future = api.as_(owner).post("/api/v1/patients", {**body, "date_of_birth": future}, format="json")
    too_early = api.as_(owner).post("/api/v1/patients", {**body, "date_of_birth": "1899-12-31"}, format="json")

    assert in_future.status_code == 400
    assert in_future.json() == {"date_of_birth": ["A date of birth cannot be in the future."]}
    assert too_early.status_code == 400
    assert too_early.json() == {"date_of_birth": ["Enter a date of birth from 1900-01-01 on."]}
    assert not Patient.objects.filter(first_name="Noah").exists()


# --- the services check before they compute -------------------------------------------------------


def test_plan_create_refuses_before_computing_the_first_review(patient):
    with pytest.raises(ValidationError) as raised:
        plan_create(
            by=SYSTEM,
            patient=patient,
            title="Far future",
            start_date=datetime.date(9999, 12, 30),
            review_frequency_days=365,
        )

    assert raised.value.message_dict == {"start_date": [CLINICAL_DATE_MESSAGE]}


def test_report_request_refuses_before_computing_the_default_start(owner, plan):
    with pytest.raises(ValidationError) as raised:
        report_request(by=AuditContext.system("tests", user=owner), plan=plan, period_end=datetime.date(1, 1, 5))

    assert raised.value.message_dict == {"period_end": [CLINICAL_DATE_MESSAGE]}


def test_review_record_refuses_a_next_review_out_of_range(owner, plan, today):
    with pytest.raises(ValidationError) as raised:
        review_record(
            by=AuditContext.system("tests", user=owner),
            plan=plan,
            review_date=today,
            summary="Review.",
            next_review_date=datetime.date(9999, 12, 31),
        )

    assert raised.value.message_dict == {"next_review_date": [CLINICAL_DATE_MESSAGE]}


def test_a_review_stating_more_goals_on_track_than_reviewed_is_a_400(api, owner, plan, tree, today):
    body = {"review_date": today.isoformat(), "summary": "Review.", "goals_on_track": 5}

    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/review", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"goals_on_track": ["Cannot be more than the goals reviewed (3)."]}
    assert not PlanReview.objects.exists()


def test_a_goal_count_past_the_column_is_a_400(api, owner, plan, today):
    body = {"review_date": today.isoformat(), "summary": "Review.", "goals_reviewed": 2**53}

    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/review", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"goals_reviewed": ["Ensure this value is less than or equal to 10000."]}


# --- clinical dates on the forms -----------------------------------------------------------------


def builder_data(**overrides):
    return {
        "title": "Anxiety Management Plan",
        "start_date": "2026-09-01",
        "target_end_date": "",
        "review_frequency_days": "90",
        "notes": "",
        "diagnosis_codes_text": "",
        "presenting_problems": ["chronic worry"],
        **overrides,
    }


@pytest.mark.parametrize(
    "changes",
    [{"start_date": "9999-12-31"}, {"start_date": "9999-12-30", "review_frequency_days": "365"}],
    ids=["9999-12-31", "9999-12-30+365"],
)
def test_the_plan_builder_refuses_a_start_out_of_range_keeping_it(client, owner, patient, changes):
    client.force_login(owner)

    response = client.post(reverse("plan-create", args=[patient.pk]), builder_data(**changes))

    assert response.status_code == 200
    assert response.context["form"].errors == {"start_date": [CLINICAL_DATE_MESSAGE]}
    assert f'name="start_date" value="{changes["start_date"]}"' in text(response)
    assert 'value="chronic worry"' in text(response)
    assert not TreatmentPlan.objects.exists()


def test_the_goal_form_refuses_a_target_date_out_of_range_keeping_it(client, owner, plan):
    client.force_login(owner)
    data = {"description": "Sleep 7 hours", "target_date": "9999-12-31", "priority": "1"}

    response = client.post(reverse("goal-add", args=[plan.pk]), data, **HTMX)

    assert response.status_code == 200
    body = text(response)
    assert CLINICAL_DATE_MESSAGE in body
    assert 'name="target_date" value="9999-12-31"' in body
    assert not TreatmentGoal.objects.exists()


def test_the_session_form_refuses_a_date_out_of_range_keeping_it(client, owner, plan, tree):
    client.force_login(owner)
    data = {"session_date": "1899-12-31", "duration_minutes": "50", "notes": "Reviewed the log.", "record": "1"}

    response = client.post(f"/plans/{plan.pk}/sessions/new/", data)

    assert response.status_code == 200
    assert response.context["form"].errors["session_date"] == [CLINICAL_DATE_MESSAGE]
    assert 'value="1899-12-31"' in text(response)
    assert not TherapySession.objects.exists()


def test_the_review_form_refuses_a_date_out_of_range_keeping_it(client, owner, plan, tree):
    client.force_login(owner)
    data = {"review_date": "0001-01-01", "summary": "Review.", "next_review_date": "", "etag": plan.etag}

    response = client.post(f"/plans/{plan.pk}/review/", data)

    assert response.status_code == 200
    assert re.search(r'id="id_review_date_error"[^>]*>' + re.escape(CLINICAL_DATE_MESSAGE), text(response))
    assert 'value="0001-01-01"' in text(response)
    assert not PlanReview.objects.exists()


def test_the_report_form_refuses_a_period_out_of_range_keeping_it(client, owner, plan):
    client.force_login(owner)

    response = client.post(f"/plans/{plan.pk}/reports/", {"period_start": "", "period_end": "0001-01-05"}, **HTMX)

    assert response.status_code == 200
    assert response.context["report_form"].errors == {"period_end": [CLINICAL_DATE_MESSAGE]}
    assert 'value="0001-01-05"' in text(response)
    assert not ProgressReport.objects.exists()


def test_the_patient_form_refuses_a_date_of_birth_in_the_future(client, owner):
    client.force_login(owner)
    future = (latest_today() + datetime.timedelta(days=1)).isoformat()
    data = {"first_name": "Noah", "last_name": "Fischer", "date_of_birth": future, "status": "active"}

    response = client.post("/patients/new/", data)

    assert response.status_code == 200
    assert response.context["form"].errors == {"date_of_birth": ["A date of birth cannot be in the future."]}
    assert f'value="{future}"' in text(response)
    assert not Patient.objects.filter(first_name="Noah").exists()


def test_a_review_form_with_a_tampered_load_time_still_records(client, owner, plan, tree, today):
    """The hidden `loaded_at` comes back as the browser sends it: an impossible or naive time is "unknown"."""
    client.force_login(owner)
    for loaded_at in ("2024-13-45T00:00:00", "2024-01-01T00:00:00", "0001-01-01T00:00:00+05:00"):
        plan.refresh_from_db()
        data = {"review_date": today.isoformat(), "summary": "Review.", "etag": plan.etag, "loaded_at": loaded_at}

        response = client.post(f"/plans/{plan.pk}/review/", data)

        assert response.status_code == 302, loaded_at
    assert PlanReview.objects.count() == 3


# --- NUL characters ----------------------------------------------------------------------------------


def test_a_nul_inside_smart_is_a_400_naming_its_path(api, owner, plan):
    body = {"goal_type": "long_term", "description": "Sleep 7 hours", "smart": {"specific": {"who": "Cli\x00ent"}}}

    response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/goals", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"smart.specific.who": [NUL_MESSAGE]}
    assert not TreatmentGoal.objects.exists()


def test_a_nul_in_a_goal_edit_is_a_400(api, owner, tree):
    goal = tree["objective"]

    response = api.as_(owner).patch(
        f"/api/v1/goals/{goal.pk}", {"smart": {"measurable": {"how": "\x00"}}}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"smart.measurable.how": [NUL_MESSAGE]}
    assert TreatmentGoal.objects.get(pk=goal.pk).smart == {}


def test_nuls_in_a_plan_are_each_named(api, owner, patient):
    body = {
        **PLAN_BODY,
        "title": "Anxiety\x00",
        "presenting_problems": ["chronic worry", "sleep\x00"],
        "diagnosis_codes": [{"code": "F41.1\x00"}],
    }

    response = api.as_(owner).post(plans_url(patient), body, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "title": [NUL_MESSAGE],
        "presenting_problems[1]": [NUL_MESSAGE],
        "diagnosis_codes[0].code": [NUL_MESSAGE],
    }
    assert not TreatmentPlan.objects.exists()


def test_a_nul_in_a_key_is_named_escaped(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), {**PLAN_BODY, "no\x00te": "x"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"no\\u0000te": [NUL_MESSAGE]}


def test_a_nul_on_the_unauthenticated_token_endpoint_is_a_400(api, owner, password):
    response = api.post("/api/v1/auth/token", {"email": f"{owner.email}\x00", "password": password}, format="json")

    assert response.status_code == 400
    assert response.json() == {"email": [NUL_MESSAGE]}


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api, owner):
    response = api.as_(owner).get("/api/v1/patients?search=%00")
    in_a_name = api.as_(owner).get("/api/v1/patients?sea%00rch=x")

    assert response.status_code == 400
    assert response.json() == {"search": [NUL_MESSAGE]}
    assert in_a_name.status_code == 400
    assert in_a_name.json() == {"sea\\u0000rch": [NUL_MESSAGE]}


def test_a_nul_in_a_pages_query_is_the_400_page(client, owner):
    client.force_login(owner)

    response = client.get("/patients/?search=%00")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_the_plan_builder_refuses_a_nul_in_a_presenting_problem_keeping_the_list(client, owner, patient):
    client.force_login(owner)

    response = client.post(
        reverse("plan-create", args=[patient.pk]), builder_data(presenting_problems=["worry\x00", "sleep"])
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"presenting_problems": ["Null characters are not allowed (at [0])."]}
    assert 'value="sleep"' in text(response)
    assert not TreatmentPlan.objects.exists()


def test_the_goal_form_refuses_a_nul_in_a_smart_answer(client, owner, plan):
    client.force_login(owner)
    data = {"description": "Sleep 7 hours", "priority": "1", "smart_specific_who": "Cli\x00ent"}

    response = client.post(reverse("goal-add", args=[plan.pk]), data, **HTMX)

    assert response.status_code == 200
    assert NUL_MESSAGE in text(response)
    assert not TreatmentGoal.objects.exists()


def test_a_service_refuses_a_nul_in_smart_from_any_caller(plan):
    with pytest.raises(ValidationError) as raised:
        goal_add(
            by=SYSTEM,
            plan=plan,
            goal_type="long_term",
            description="Sleep 7 hours",
            smart={"specific": {"who": "Cli\x00ent"}},
        )

    assert raised.value.message_dict == {"smart": ["Null characters are not allowed (at specific.who)."]}


# --- strict query parameters and booleans ------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [
        ("abc", {"page_size": ["A valid integer is required."]}),
        ("0", {"page_size": ["Ensure this value is greater than or equal to 1."]}),
    ],
)
def test_a_page_size_that_is_not_a_positive_number_is_a_400(api, owner, patient, page_size, expected):
    response = api.as_(owner).get("/api/v1/patients", {"page_size": page_size})

    assert response.status_code == 400
    assert response.json() == expected


def test_a_page_size_above_200_gets_200_and_an_empty_one_the_default(api, owner, patient):
    assert api.as_(owner).get("/api/v1/patients", {"page_size": "500"}).status_code == 200
    assert api.as_(owner).get("/api/v1/patients", {"page_size": ""}).json()["count"] == 1


def test_a_boolean_filter_takes_true_or_false_only(api, owner):
    client = api.as_(owner)

    assert client.get("/api/v1/notifications", {"unread": "true"}).status_code == 200
    assert client.get("/api/v1/notifications", {"unread": ""}).status_code == 200
    refused = client.get("/api/v1/notifications", {"unread": "maybe"})
    assert refused.status_code == 400
    assert refused.json() == {"unread": ["Enter true or false."]}


def test_a_json_boolean_is_true_or_false_not_a_number(api, practice_admin):
    body = {"name": "Worry time", "modality": "CBT", "category": "cbt", "is_active": 0}

    response = api.as_(practice_admin).post("/api/v1/interventions", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"is_active": ["Must be a valid boolean."]}


def test_an_audit_filter_takes_any_offset_and_refuses_moments_out_of_range(api, practice_admin):
    client = api.as_(practice_admin)

    far_offset = client.get("/api/v1/audit-events", {"until": "2026-12-17T14:24:33-16:24"})
    too_early = client.get("/api/v1/audit-events", {"until": "0196-12-17T14:24:33-16:24"})

    assert far_offset.status_code == 200
    assert too_early.status_code == 400
    assert too_early.json() == {"until": [DATETIME_MESSAGE]}


def test_an_empty_optional_query_parameter_is_one_not_given(api, owner):
    response = api.as_(owner).get("/api/v1/diagnosis-codes", {"search": "generalized anxiety", "limit": ""})

    assert response.status_code == 200
    assert response.json()[0]["code"] == "F41.1"
