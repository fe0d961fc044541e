"""Treatment plans through the v1 API (spec checklist "Create treatment plan with goals", "Status transitions").

Covers: POST /patients/{id}/treatment-plans with the spec's body and every field of its answer; review
dates and frequency defaults; ICD-10-CM validation (description filled, codes normalized, unknown codes,
categories and duplicates refused); required fields and date order; discharged patients; who may own a
plan; the patient's plan list; the nested plan tree with its progress summary over goals of every level;
status transitions and what a closed plan refuses; review_status by the practice's calendar (in a time
zone whose date differs from UTC's); no hard deletes; an audit event for every create and update.
Each test asserts the response AND what the database holds afterwards.
"""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from accounts.audit import AuditContext
from accounts.models import AuditEvent, Patient, Practice
from accounts.services import patient_update
from tests.factories import GoalFactory, PatientFactory, PlanFactory, intervention
from treatment.models import GoalStatus, TreatmentGoal, TreatmentPlan
from treatment.services import goal_update

pytestmark = pytest.mark.django_db

SPEC_BODY = {
    "title": "Anxiety Management Plan",
    "diagnosis_codes": [{"code": "F41.1", "description": "Generalized anxiety disorder"}],
    "presenting_problems": ["chronic worry", "sleep difficulties", "physical tension"],
    "start_date": "2024-03-01",
    "target_end_date": "2024-09-01",
    "review_frequency_days": 90,
}
SUMMARY_KEYS = {"total_goals", "achieved", "in_progress", "not_started", "modified", "discontinued", "overall_progress"}


def plans_url(patient):
    return f"/api/v1/patients/{patient.pk}/treatment-plans"


def body(**changes):
    data = {k: (list(v) if isinstance(v, list) else v) for k, v in SPEC_BODY.items()}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def rows(response):
    data = response.json()
    return data["results"] if isinstance(data, dict) else data


def local_today(practice):
    return timezone.now().astimezone(zoneinfo.ZoneInfo(practice.time_zone)).date()


def refetch(plan):
    return TreatmentPlan.objects.get(pk=plan.pk)


# --- creation ----------------------------------------------------------------------------------


def test_create_with_the_spec_body_answers_201_with_the_spec_fields(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), body(), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["title"] == "Anxiety Management Plan"
    assert data["status"] == "active"
    assert data["diagnosis_codes"] == [{"code": "F41.1", "description": "Generalized anxiety disorder"}]
    assert data["presenting_problems"] == ["chronic worry", "sleep difficulties", "physical tension"]
    assert data["start_date"] == "2024-03-01"
    assert data["target_end_date"] == "2024-09-01"
    assert data["actual_end_date"] is None
    assert data["review_frequency_days"] == 90
    assert data["next_review_date"] == "2024-05-30"  # 2024-03-01 + 90 days
    assert data["review_status"] == "overdue"  # that date is long past
    assert data["version"] == 1
    assert data["therapist"]["id"] == str(owner.pk)
    assert data["patient_id"] == str(patient.pk)
    assert set(data["progress_summary"]) == SUMMARY_KEYS
    assert data["progress_summary"] == dict.fromkeys(SUMMARY_KEYS, 0)
    assert data["goals"] == []
    assert response["ETag"]

    plan = TreatmentPlan.objects.get(pk=data["id"])
    assert plan.patient == patient
    assert plan.therapist == owner
    assert plan.created_by == owner
    assert plan.title == "Anxiety Management Plan"
    assert plan.status == "active"
    assert plan.diagnosis_codes == [{"code": "F41.1", "description": "Generalized anxiety disorder"}]
    assert plan.presenting_problems == ["chronic worry", "sleep difficulties", "physical tension"]
    assert plan.start_date == datetime.date(2024, 3, 1)
    assert plan.target_end_date == datetime.date(2024, 9, 1)
    assert plan.next_review_date == datetime.date(2024, 5, 30)
    assert plan.review_frequency_days == 90
    assert plan.version == 1
    assert plan.actual_end_date is None


def test_an_explicit_next_review_date_is_kept(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), body(next_review_date="2024-04-15"), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["next_review_date"] == "2024-04-15"
    assert TreatmentPlan.objects.get(pk=response.json()["id"]).next_review_date == datetime.date(2024, 4, 15)


def test_review_frequency_defaults_to_the_practices(api, owner, patient, practice):
    practice.default_review_frequency_days = 30
    practice.save()
    data = body()
    del data["review_frequency_days"]

    response = api.as_(owner).post(plans_url(patient), data, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["review_frequency_days"] == 30
    assert response.json()["next_review_date"] == "2024-03-31"
    plan = TreatmentPlan.objects.get(pk=response.json()["id"])
    assert plan.review_frequency_days == 30
    assert plan.next_review_date == datetime.date(2024, 3, 31)


@pytest.mark.parametrize(
    "sent",
    [{"code": "F41.1"}, {"code": "F41.1", "description": ""}, {"code": "f411"}, {"code": " f41.1 "}, {"code": "F411"}],
    ids=["no-description", "blank-description", "lower-undotted", "lower-padded", "undotted"],
)
def test_codes_are_normalized_and_descriptions_filled_from_icd10cm(api, owner, patient, sent):
    response = api.as_(owner).post(plans_url(patient), body(diagnosis_codes=[sent]), format="json")

    assert response.status_code == 201, response.content
    expected = [{"code": "F41.1", "description": "Generalized anxiety disorder"}]
    assert response.json()["diagnosis_codes"] == expected
    assert TreatmentPlan.objects.get(pk=response.json()["id"]).diagnosis_codes == expected


@pytest.mark.parametrize(
    ("codes", "must_mention"),
    [
        ([{"code": "F99.99X"}], ["F99.99X"]),
        ([{"code": "NOTACODE"}], []),
        ([{"code": "F41"}], ["F41.1", "billable"]),
        ([{"code": "F41.1"}, {"code": "f411"}], ["F41.1", "twice"]),
        ([{"code": ""}], []),
    ],
    ids=["unknown", "garbage", "category", "duplicate", "empty"],
)
def test_bad_diagnoses_answer_400_on_diagnosis_codes_and_write_nothing(api, owner, patient, codes, must_mention):
    response = api.as_(owner).post(plans_url(patient), body(diagnosis_codes=codes), format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert "diagnosis_codes" in errors
    text = str(errors["diagnosis_codes"])
    for word in must_mention:
        assert word in text
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize(
    "missing", [("title",), ("start_date",), ("title", "start_date")], ids=["title", "start", "both"]
)
def test_missing_required_fields_are_named(api, owner, patient, missing):
    data = body()
    for field in missing:
        del data[field]

    response = api.as_(owner).post(plans_url(patient), data, format="json")

    assert response.status_code == 400, response.content
    assert set(missing) <= set(response.json())
    assert not TreatmentPlan.objects.exists()


def test_blank_title_is_refused(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), body(title="   "), format="json")

    assert response.status_code == 400, response.content
    assert "title" in response.json()
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target_end_date", "2024-02-01"),
        ("next_review_date", "2024-02-01"),
        ("review_frequency_days", 0),
        ("review_frequency_days", 366),
        ("start_date", "not a date"),
        ("diagnosis_codes", "F41.1"),
        ("diagnosis_codes", [{"code": f"F41.{n}"} for n in (0, 1, 3, 8, 9)] * 3),
        ("presenting_problems", "chronic worry"),
    ],
    ids=[
        "target-before-start",
        "review-before-start",
        "frequency-0",
        "frequency-366",
        "bad-date",
        "codes-not-a-list",
        "too-many-codes",
        "problems-not-a-list",
    ],
)
def test_bad_plan_fields_are_named_and_nothing_is_written(api, owner, patient, field, value):
    response = api.as_(owner).post(plans_url(patient), body(**{field: value}), format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not TreatmentPlan.objects.exists()


def test_presenting_problems_are_trimmed_and_deduplicated(api, owner, patient):
    problems = ["chronic worry", "  Chronic   worry ", "sleep   difficulties"]

    response = api.as_(owner).post(plans_url(patient), body(presenting_problems=problems), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["presenting_problems"] == ["chronic worry", "sleep difficulties"]
    assert TreatmentPlan.objects.get().presenting_problems == ["chronic worry", "sleep difficulties"]


def test_no_plan_for_a_discharged_patient(api, owner, patient):
    patient_update(by=AuditContext.system("tests"), patient=patient, status=Patient.Status.DISCHARGED)

    response = api.as_(owner).post(plans_url(patient), body(), format="json")

    assert response.status_code == 400, response.content
    assert response.json()  # names what is wrong
    assert not TreatmentPlan.objects.exists()


def test_a_therapist_cannot_name_another_therapist(api, owner, colleague, practice):
    shared = PatientFactory(primary_therapist=owner, care_team=[colleague])

    response = api.as_(owner).post(plans_url(shared), body(therapist_id=str(colleague.pk)), format="json")

    assert response.status_code == 400, response.content
    assert "therapist_id" in response.json()
    assert not TreatmentPlan.objects.exists()


def test_a_therapist_may_name_themselves(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), body(therapist_id=str(owner.pk)), format="json")

    assert response.status_code == 201, response.content
    assert TreatmentPlan.objects.get().therapist == owner


def test_a_practice_admin_names_a_care_team_clinician(api, owner, colleague, practice_admin):
    shared = PatientFactory(primary_therapist=owner, care_team=[colleague])

    response = api.as_(practice_admin).post(plans_url(shared), body(therapist_id=str(colleague.pk)), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["therapist"]["id"] == str(colleague.pk)
    plan = TreatmentPlan.objects.get()
    assert plan.therapist == colleague
    assert plan.created_by == practice_admin


def test_a_practice_admin_without_naming_anyone_gives_the_plan_to_the_primary_therapist(api, owner, patient, cast):
    response = api.as_(cast["practice_admin"]).post(plans_url(patient), body(), format="json")

    assert response.status_code == 201, response.content
    assert TreatmentPlan.objects.get().therapist == owner


def test_a_practice_admin_cannot_name_a_clinician_off_the_care_team(api, patient, colleague, practice_admin):
    response = api.as_(practice_admin).post(plans_url(patient), body(therapist_id=str(colleague.pk)), format="json")

    assert response.status_code == 400, response.content
    assert "therapist_id" in response.json()
    assert not TreatmentPlan.objects.exists()


# --- reading -----------------------------------------------------------------------------------


def test_the_patient_list_returns_their_plans_with_progress_summary(api, owner, patient):
    first = PlanFactory(patient=patient, title="Anxiety Management Plan", start_date=datetime.date(2026, 9, 1))
    second = PlanFactory(patient=patient, title="Sleep Plan", start_date=datetime.date(2026, 10, 1))
    GoalFactory(plan=first)
    GoalFactory(plan=first, status=GoalStatus.ACHIEVED)
    other_patient = PatientFactory(primary_therapist=owner)
    PlanFactory(patient=other_patient, title="Not this patient's")

    response = api.as_(owner).get(plans_url(patient))

    assert response.status_code == 200, response.content
    listed = rows(response)
    assert [p["id"] for p in listed] == [str(second.pk), str(first.pk)]  # newest start first
    by_id = {p["id"]: p for p in listed}
    assert by_id[str(first.pk)]["progress_summary"] == {
        "total_goals": 2,
        "achieved": 1,
        "in_progress": 0,
        "not_started": 1,
        "modified": 0,
        "discontinued": 0,
        "overall_progress": 50,
    }
    assert by_id[str(second.pk)]["progress_summary"] == dict.fromkeys(SUMMARY_KEYS, 0)
    assert {p["review_status"] for p in listed} <= {"current", "due_soon", "due", "overdue"}


def test_the_detail_returns_the_nested_tree_and_a_summary_over_all_levels(api, owner, plan, tree):
    second_objective = GoalFactory(parent_goal=tree["short_term"], goal_type="objective", description="Try imagery")
    goal_update(by=AuditContext.system("tests"), goal=tree["objective"], status=GoalStatus.ACHIEVED)

    response = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["id"] == str(plan.pk)
    assert [g["id"] for g in data["goals"]] == [str(tree["long_term"].pk)]
    long_term = data["goals"][0]
    assert long_term["goal_type"] == "long_term"
    assert [g["id"] for g in long_term["sub_goals"]] == [str(tree["short_term"].pk)]
    short_term = long_term["sub_goals"][0]
    assert short_term["goal_type"] == "short_term"
    assert {g["id"] for g in short_term["sub_goals"]} == {str(tree["objective"].pk), str(second_objective.pk)}
    objectives = {g["id"]: g for g in short_term["sub_goals"]}
    breathing = objectives[str(tree["objective"].pk)]
    assert breathing["goal_type"] == "objective"
    assert breathing["sub_goals"] == []
    assert [i["intervention"]["name"] for i in breathing["interventions"]] == ["Deep Breathing"]
    assert breathing["interventions"][0]["frequency"] == "every session"
    assert breathing["progress_percentage"] == 100
    assert objectives[str(second_objective.pk)]["interventions"] == []
    assert short_term["progress_percentage"] == 50
    assert long_term["progress_percentage"] == 50
    # Counted over goals of every level: 1 long-term + 1 short-term + 2 objectives.
    assert data["progress_summary"] == {
        "total_goals": 4,
        "achieved": 1,
        "in_progress": 2,
        "not_started": 1,
        "modified": 0,
        "discontinued": 0,
        "overall_progress": 50,
    }
    assert TreatmentGoal.objects.filter(plan=plan).count() == 4
    assert refetch(plan).overall_progress == 50


# --- status transitions --------------------------------------------------------------------------


def patch(api, user, plan, data):
    return api.as_(user).patch(f"/api/v1/treatment-plans/{plan.pk}", data, format="json")


def test_active_to_on_hold_and_back(api, owner, plan):
    response = patch(api, owner, plan, {"status": "on_hold"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "on_hold"
    assert refetch(plan).status == "on_hold"
    assert refetch(plan).actual_end_date is None

    response = patch(api, owner, plan, {"status": "active"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    assert refetch(plan).status == "active"


@pytest.fixture
def far_zone(practice):
    """Put the practice in a time zone whose calendar date differs from UTC's right now."""
    hour = timezone.now().astimezone(datetime.UTC).hour
    practice.time_zone = "Pacific/Pago_Pago" if hour < 11 else "Pacific/Kiritimati"  # UTC-11 / UTC+14
    practice.save()
    utc_today = timezone.now().astimezone(datetime.UTC).date()
    today = local_today(practice)
    assert today != utc_today, "the chosen zone must put the practice on another calendar day"
    return {"local": today, "utc": utc_today}


def test_completing_sets_actual_end_date_to_the_practices_today(api, owner, plan, far_zone):
    response = patch(api, owner, plan, {"status": "completed", "status_reason": "Closed in a test."})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["actual_end_date"] == far_zone["local"].isoformat()
    assert response.json()["review_status"] == "not_required"
    saved = refetch(plan)
    assert saved.status == "completed"
    assert saved.actual_end_date == far_zone["local"]


def test_completing_keeps_an_explicit_actual_end_date(api, owner, plan):
    response = patch(
        api, owner, plan, {"status": "completed", "status_reason": "Closed in a test.", "actual_end_date": "2026-10-15"}
    )

    assert response.status_code == 200, response.content
    assert refetch(plan).actual_end_date == datetime.date(2026, 10, 15)


def test_on_hold_to_discontinued(api, owner, plan):
    assert patch(api, owner, plan, {"status": "on_hold"}).status_code == 200

    response = patch(api, owner, plan, {"status": "discontinued", "status_reason": "Closed in a test."})

    assert response.status_code == 200, response.content
    saved = refetch(plan)
    assert saved.status == "discontinued"
    assert saved.actual_end_date is not None


@pytest.mark.parametrize("closed", ["completed", "discontinued"])
@pytest.mark.parametrize("target", ["active", "on_hold"])
def test_closed_plans_are_final(api, owner, plan, closed, target):
    assert patch(api, owner, plan, {"status": closed, "status_reason": "Closed in a test."}).status_code == 200
    before = refetch(plan)

    response = patch(api, owner, plan, {"status": target})

    assert response.status_code == 409, response.content
    assert response.json() == {"detail": f"This plan is {closed}; its record is closed to changes."}
    after = refetch(plan)
    assert after.status == closed
    assert after.updated_at == before.updated_at
    assert after.actual_end_date == before.actual_end_date


def test_a_completed_plan_refuses_edits_goals_and_progress(api, owner, plan, tree):
    assert patch(api, owner, plan, {"status": "completed", "status_reason": "Closed in a test."}).status_code == 200
    before = refetch(plan)
    goals_before = TreatmentGoal.objects.filter(plan=plan).count()

    edit = patch(api, owner, plan, {"title": "Renamed"})
    new_goal = api.as_(owner).post(
        f"/api/v1/treatment-plans/{plan.pk}/goals", {"goal_type": "long_term", "description": "More"}, format="json"
    )
    progress = api.as_(owner).post(
        f"/api/v1/goals/{tree['objective'].pk}/progress", {"progress_note": "Practised", "rating": 7}, format="json"
    )

    goal_edit = api.as_(owner).patch(f"/api/v1/goals/{tree['objective'].pk}", {"status": "achieved"}, format="json")
    link = tree["objective"].goal_interventions.get()
    rating = api.as_(owner).patch(
        f"/api/v1/goals/{tree['objective'].pk}/interventions/{link.pk}", {"effectiveness_rating": 5}, format="json"
    )

    closed = {"detail": "This plan is completed; its record is closed to changes."}
    for response in (edit, new_goal, progress, goal_edit, rating):
        assert (response.status_code, response.json()) == (409, closed)
    assert TreatmentGoal.objects.get(pk=tree["objective"].pk).status == "not_started"
    assert tree["objective"].goal_interventions.get().effectiveness_rating is None
    after = refetch(plan)
    assert after.title == "Anxiety Management Plan"
    assert after.updated_at == before.updated_at
    assert TreatmentGoal.objects.filter(plan=plan).count() == goals_before
    assert not tree["objective"].progress_entries.exists()
    assert TreatmentGoal.objects.get(pk=tree["objective"].pk).progress_percentage == 0


# --- review status -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ahead", "expected"),
    [(60, "current"), (8, "current"), (7, "due_soon"), (1, "due_soon"), (0, "due"), (-1, "overdue"), (-45, "overdue")],
)
def test_review_status_against_a_given_today(days_ahead, expected):
    today = datetime.date(2026, 11, 22)
    practice = Practice(name="Riverside")  # the default lead: due soon from 7 days before
    plan = TreatmentPlan(
        status="active",
        patient=Patient(practice=practice),
        next_review_date=today + datetime.timedelta(days=days_ahead),
    )

    assert plan.review_status(today=today) == expected


@pytest.mark.parametrize(("days_ahead", "expected"), [(15, "current"), (14, "due_soon"), (8, "due_soon")])
def test_due_soon_follows_the_practice_lead_days(days_ahead, expected):
    today = datetime.date(2026, 11, 22)
    practice = Practice(name="Riverside", review_reminder_lead_days=14)
    plan = TreatmentPlan(
        status="active",
        patient=Patient(practice=practice),
        next_review_date=today + datetime.timedelta(days=days_ahead),
    )

    assert plan.review_status(today=today) == expected


@pytest.mark.parametrize("status", ["completed", "discontinued"])
def test_closed_plans_need_no_review(status):
    today = datetime.date(2026, 11, 22)
    plan = TreatmentPlan(status=status, next_review_date=today - datetime.timedelta(days=3))

    assert plan.review_status(today=today) == "not_required"


def test_on_hold_plans_still_come_due():
    today = datetime.date(2026, 11, 22)
    plan = TreatmentPlan(status="on_hold", next_review_date=today)

    assert plan.review_status(today=today) == "due"


@pytest.mark.parametrize(
    ("days_ahead", "expected"),
    [(8, "current"), (7, "due_soon"), (1, "due_soon"), (0, "due"), (-1, "overdue")],
)
def test_review_status_follows_the_practices_calendar_not_utc(api, owner, plan, far_zone, days_ahead, expected):
    review = far_zone["local"] + datetime.timedelta(days=days_ahead)
    TreatmentPlan.objects.filter(pk=plan.pk).update(next_review_date=review)
    saved = refetch(plan)

    # The model, by default, counts from the practice's today; UTC's today gives another answer here.
    assert saved.review_status() == expected
    assert saved.review_status(today=far_zone["local"]) == expected
    if days_ahead == 0:
        # Due today in the practice; by UTC's date it would read overdue (west) or due soon (east).
        assert saved.review_status(today=far_zone["utc"]) != "due"

    detail = api.as_(owner).get(f"/api/v1/treatment-plans/{plan.pk}")
    listed = api.as_(owner).get(plans_url(plan.patient))

    assert detail.status_code == 200, detail.content
    assert detail.json()["next_review_date"] == review.isoformat()
    assert detail.json()["review_status"] == expected
    assert [p["review_status"] for p in rows(listed)] == [expected]


def test_review_date_set_through_the_api_is_due_on_the_practices_today(api, owner, plan, far_zone):
    response = patch(api, owner, plan, {"next_review_date": far_zone["local"].isoformat()})

    assert response.status_code == 200, response.content
    assert response.json()["review_status"] == "due"
    assert refetch(plan).next_review_date == far_zone["local"]


# --- no hard deletes -------------------------------------------------------------------------------


def test_plans_cannot_be_deleted(api, owner, practice_admin, plan):
    for user in (owner, practice_admin):
        response = api.as_(user).delete(f"/api/v1/treatment-plans/{plan.pk}")
        assert response.status_code == 405, response.content
    assert TreatmentPlan.objects.filter(pk=plan.pk).exists()


def test_goals_cannot_be_deleted(api, owner, practice_admin, tree):
    for goal in tree.values():
        for user in (owner, practice_admin):
            response = api.as_(user).delete(f"/api/v1/goals/{goal.pk}")
            assert response.status_code == 405, response.content
    assert TreatmentGoal.objects.filter(pk__in=[g.pk for g in tree.values()]).count() == 3


# --- audit ---------------------------------------------------------------------------------------


def writes_of(object_type, object_id):
    return list(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id), action__in=["create", "update"])
        .order_by("occurred_at")
        .values("action", "user_id", "channel", "patient_id", "changes")
    )


def test_creating_a_plan_is_audited_with_its_values(api, owner, patient):
    response = api.as_(owner).post(plans_url(patient), body(), format="json")
    plan_id = response.json()["id"]

    [event] = writes_of("treatment.treatmentplan", plan_id)

    assert event["action"] == "create"
    assert event["user_id"] == owner.pk
    assert event["channel"] == "api"
    assert event["patient_id"] == patient.pk
    changes = event["changes"]
    assert changes["title"] == [None, "Anxiety Management Plan"]
    assert changes["start_date"] == [None, "2024-03-01"]
    assert changes["next_review_date"] == [None, "2024-05-30"]
    assert changes["status"] == [None, "active"]
    assert changes["diagnosis_codes"] == [None, [{"code": "F41.1", "description": "Generalized anxiety disorder"}]]


def test_updating_a_plan_is_audited_with_old_and_new_values_of_the_changed_fields(api, owner, plan):
    response = patch(api, owner, plan, {"title": "Anxiety and Sleep Plan", "notes": "Added sleep work."})
    assert response.status_code == 200, response.content

    events = writes_of("treatment.treatmentplan", plan.pk)

    assert [e["action"] for e in events] == ["create", "update"]
    update = events[-1]
    assert update["user_id"] == owner.pk
    assert update["changes"] == {
        "title": ["Anxiety Management Plan", "Anxiety and Sleep Plan"],
        "notes": ["", "Added sleep work."],
    }


def test_a_status_change_is_audited(api, owner, plan):
    assert patch(api, owner, plan, {"status": "on_hold"}).status_code == 200

    update = writes_of("treatment.treatmentplan", plan.pk)[-1]

    assert update["action"] == "update"
    assert update["changes"] == {"status": ["active", "on_hold"]}


def test_a_refused_update_is_not_audited(api, owner, plan):
    assert patch(api, owner, plan, {"target_end_date": "2020-01-01"}).status_code == 400

    assert [e["action"] for e in writes_of("treatment.treatmentplan", plan.pk)] == ["create"]


def test_goal_create_and_update_are_audited(api, owner, plan):
    created = api.as_(owner).post(
        f"/api/v1/treatment-plans/{plan.pk}/goals",
        {
            "goal_type": "long_term",
            "description": "Reduce overall anxiety",
            "interventions": [{"intervention_id": str(intervention("Deep Breathing").pk), "frequency": "weekly"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    goal_id = created.json()["id"]
    updated = api.as_(owner).patch(f"/api/v1/goals/{goal_id}", {"priority": 2}, format="json")
    assert updated.status_code == 200, updated.content

    events = writes_of("treatment.treatmentgoal", goal_id)

    assert [e["action"] for e in events] == ["create", "update"]
    assert events[0]["changes"]["description"] == [None, "Reduce overall anxiety"]
    assert events[0]["changes"]["goal_type"] == [None, "long_term"]
    assert events[1]["changes"] == {"priority": [1, 2]}
    assert all(e["patient_id"] == plan.patient_id and e["user_id"] == owner.pk for e in events)
    link_events = AuditEvent.objects.filter(object_type="treatment.goalintervention", action="create")
    assert link_events.count() == 1
