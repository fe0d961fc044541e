"""The measures API: the instrument registry, measurements, safety flags and assessments, and goals' `measure`.

Access for the five roles of the cast on every new path (with and without the trailing slash): the care team
writes; the supervisor reads (writes 403); the practice admin reads and records a measurement but not a risk
assessment (that is a clinician's: 403); a colleague off the care team and another practice's admin get 404.
A refused write changes nothing.
"""

import datetime
import uuid

import pytest

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from treatment.models import Measurement, SafetyAssessment, SafetyFlag, TreatmentGoal
from treatment.services import measurement_record, session_record

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
RECORD = {"owner": 201, "colleague": 404, "supervisor": 403, "practice_admin": 201, "outsider_admin": 404}
ASSESS = {"owner": 201, "colleague": 404, "supervisor": 403, "practice_admin": 403, "outsider_admin": 404}
PHQ9_ANSWERS = [2, 2, 1, 1, 1, 1, 1, 0, 1]  # 10, moderate, item 9 = 1


def base(patient) -> str:
    return f"/api/v1/patients/{patient.pk}"


@pytest.fixture
def flagged(owner, patient):
    return measurement_record(
        by=AuditContext(user=owner),
        patient=patient,
        instrument="phq9",
        answers=PHQ9_ANSWERS,
        administered_on=datetime.date(2026, 10, 1),
    )


# --- instruments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slash", ["", "/"])
def test_any_signed_in_staff_reads_the_instruments(api, cast, role, slash):
    listed = api.as_(cast[role]).get(f"/api/v1/instruments{slash}")
    assert listed.status_code == 200
    assert [i["code"] for i in listed.json()] == ["phq9", "gad7", "pcl5"]
    detail = api.as_(cast[role]).get(f"/api/v1/instruments/phq9{slash}")
    assert detail.status_code == 200


def test_an_instrument_in_full(api, owner):
    body = api.as_(owner).get("/api/v1/instruments/phq9").json()
    assert (body["loinc_panel"], body["loinc_total"], body["min_score"], body["max_score"]) == (
        "44249-1",
        "44261-6",
        0,
        27,
    )
    assert body["items"][8] == {
        "number": 9,
        "text": "Thoughts that you would be better off dead or of hurting yourself in some way",
        "loinc": "44260-8",
    }
    assert body["options"][3] == {"value": 3, "label": "Nearly every day", "loinc": "LA6571-9"}
    assert body["bands"][3] == {"low": 15, "high": 19, "label": "Moderately severe"}
    assert body["copyright"].endswith("No permission required to reproduce, translate, display or distribute.")
    pcl5 = api.as_(owner).get("/api/v1/instruments/pcl5").json()
    assert (pcl5["loinc_total"], pcl5["bands"], len(pcl5["items"]), pcl5["options"][4]["loinc"]) == (None, [], 20, None)


def test_unknown_instrument_and_anonymous(api, owner, client):
    assert api.as_(owner).get("/api/v1/instruments/bdi2").status_code == 404
    assert client.get("/api/v1/instruments").status_code == 401


# --- measurements --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slash", ["", "/"])
def test_recording_a_measurement(api, cast, patient, role, slash):
    response = api.as_(cast[role]).post(
        f"{base(patient)}/measurements{slash}",
        {"instrument": "phq9", "answers": PHQ9_ANSWERS, "administered_on": "2026-10-01"},
        format="json",
    )
    assert response.status_code == RECORD[role]
    assert Measurement.objects.count() == (1 if RECORD[role] == 201 else 0)
    assert SafetyFlag.objects.count() == (1 if RECORD[role] == 201 else 0)
    if RECORD[role] == 201:
        body = response.json()
        assert {k: body[k] for k in ("instrument", "loinc", "total_score", "severity", "safety_flag")} == {
            "instrument": "phq9",
            "loinc": "44261-6",
            "total_score": 10,
            "severity": "Moderate",
            "safety_flag": True,
        }
        assert (body["administered_on"], body["session_id"], body["answers"]) == ("2026-10-01", None, PHQ9_ANSWERS)
        assert AuditEvent.objects.filter(object_id=body["id"], action="create").count() == 1


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slash", ["", "/"])
def test_listing_measurements_oldest_first(api, cast, owner, patient, role, slash):
    by = AuditContext(user=owner)
    for day, instrument, answers in [
        (datetime.date(2026, 10, 8), "phq9", [0] * 9),
        (datetime.date(2026, 9, 8), "gad7", [1] * 7),
        (datetime.date(2026, 9, 1), "phq9", [1] * 9),
    ]:
        measurement_record(by=by, patient=patient, instrument=instrument, answers=answers, administered_on=day)
    response = api.as_(cast[role]).get(f"{base(patient)}/measurements{slash}", {"instrument": "phq9"})
    assert response.status_code == READ[role]
    if READ[role] == 200:
        rows = response.json()["results"]
        assert [(r["administered_on"], r["total_score"]) for r in rows] == [("2026-09-01", 9), ("2026-10-08", 0)]
        everything = api.as_(cast[role]).get(f"{base(patient)}/measurements").json()["results"]
        assert [r["instrument"] for r in everything] == ["phq9", "gad7", "phq9"]


def test_a_bad_answer_is_named_and_nothing_is_written(api, owner, patient):
    response = api.as_(owner).post(
        f"{base(patient)}/measurements",
        {"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, "x"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "answers[3]": ["Item 4: answer with one of 0, 1, 2, 3."],
        "answers[8]": ["Item 9: answer with one of 0, 1, 2, 3."],
    }
    short = api.as_(owner).post(f"{base(patient)}/measurements", {"instrument": "gad7", "answers": [0]}, format="json")
    assert (short.status_code, short.json()) == (400, {"answers": ["The GAD-7 has 7 items; 1 answers were sent."]})
    unknown = api.as_(owner).post(f"{base(patient)}/measurements", {"instrument": "bdi", "answers": []}, format="json")
    assert (unknown.status_code, list(unknown.json())) == (400, ["instrument"])
    assert Measurement.objects.count() == 0


def test_a_session_id_must_be_one_the_caller_sees_and_the_patients(api, owner, colleague, patient, plan):
    from tests.factories import PatientFactory

    other = PatientFactory(primary_therapist=colleague, first_name="Omar", last_name="Diaz")
    hidden = session_record(
        by=AuditContext(user=colleague), patient=other, session_date=datetime.date(2026, 10, 1), duration_minutes=50
    )
    response = api.as_(owner).post(
        f"{base(patient)}/measurements",
        {"instrument": "gad7", "answers": [0] * 7, "session_id": str(hidden.pk)},
        format="json",
    )
    assert (response.status_code, list(response.json())) == (400, ["session_id"])
    own = session_record(
        by=AuditContext(user=owner),
        patient=patient,
        plan=plan,
        session_date=datetime.date(2026, 10, 2),
        duration_minutes=50,
    )
    ok = api.as_(owner).post(
        f"{base(patient)}/measurements",
        {"instrument": "gad7", "answers": [0] * 7, "session_id": str(own.pk)},
        format="json",
    )
    assert (ok.status_code, ok.json()["session_id"], ok.json()["administered_on"]) == (201, str(own.pk), "2026-10-02")


# --- safety flags and assessments ----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slash", ["", "/"])
def test_reading_safety_flags(api, cast, patient, flagged, role, slash):
    response = api.as_(cast[role]).get(f"{base(patient)}/safety-flags{slash}")
    assert response.status_code == READ[role]
    if READ[role] == 200:
        [flag] = response.json()
        assert (flag["measurement_id"], flag["instrument"], flag["status"], flag["assessment"]) == (
            str(flagged.pk),
            "phq9",
            "open",
            None,
        )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slash", ["", "/"])
def test_recording_a_safety_assessment(api, cast, patient, flagged, role, slash):
    response = api.as_(cast[role]).post(
        f"{base(patient)}/safety-assessments{slash}",
        {"note": "Assessed: no intent, safety plan in place."},
        format="json",
    )
    assert response.status_code == ASSESS[role]
    flag = SafetyFlag.objects.get()
    if ASSESS[role] == 201:
        body = response.json()
        assert (body["note"], body["assessed_by"]["email"], body["cleared_flag_ids"]) == (
            "Assessed: no intent, safety plan in place.",
            cast[role].email,
            [str(flag.pk)],
        )
        assert flag.status == "cleared"
    else:
        assert (flag.status, SafetyAssessment.objects.count()) == ("open", 0)


@pytest.mark.parametrize("role", ROLES)
def test_reading_safety_assessments_and_the_flag_history(api, cast, owner, patient, flagged, role):
    api.as_(owner).post(f"{base(patient)}/safety-assessments", {"note": "Assessed; low risk."}, format="json")
    response = api.as_(cast[role]).get(f"{base(patient)}/safety-assessments")
    assert response.status_code == READ[role]
    if READ[role] == 200:
        assert [a["note"] for a in response.json()] == ["Assessed; low risk."]
        [flag] = api.as_(cast[role]).get(f"{base(patient)}/safety-flags").json()
        assert (flag["status"], flag["cleared_by"]["email"], flag["assessment"]["note"]) == (
            "cleared",
            owner.email,
            "Assessed; low risk.",
        )


def test_an_assessment_needs_a_note_and_an_open_flag(api, owner, patient):
    empty = api.as_(owner).post(f"{base(patient)}/safety-assessments", {"note": " "}, format="json")
    assert (empty.status_code, list(empty.json())) == (400, ["note"])
    nothing = api.as_(owner).post(f"{base(patient)}/safety-assessments", {"note": "Checked"}, format="json")
    assert (nothing.status_code, nothing.json()) == (400, {"flags": ["This patient has no open safety flag to clear."]})


# --- goals' measure ------------------------------------------------------------------------------


def test_a_goal_takes_and_returns_its_measure_and_flags(api, owner, patient, tree):
    objective = tree["objective"]
    unset = api.as_(owner).get(f"/api/v1/goals/{objective.pk}").json()
    assert (unset["measure"], unset["measure_flags"]) == (None, None)
    response = api.as_(owner).patch(
        f"/api/v1/goals/{objective.pk}", {"measure": {"instrument": "phq9", "target_score": 4}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["measure"] == {"instrument": "phq9", "baseline_score": None, "target_score": 4}
    assert response.json()["measure_flags"] == {
        "response": None,
        "remission": None,
        "reliable_improvement": None,
        "reliable_deterioration": None,
    }
    by = AuditContext(user=owner)
    measurement_record(
        by=by, patient=patient, instrument="phq9", answers=[2] * 8 + [0], administered_on=datetime.date(2026, 9, 1)
    )
    measurement_record(
        by=by, patient=patient, instrument="phq9", answers=[1] * 4 + [0] * 5, administered_on=datetime.date(2026, 10, 1)
    )
    body = api.as_(owner).get(f"/api/v1/goals/{objective.pk}").json()
    # Baseline 16, score 4, target 4: 100%; halved, below 5, a drop of 12.
    assert (body["progress_percentage"], body["current_value"]) == (100, "4 PHQ-9")
    assert body["measure_flags"] == {
        "response": True,
        "remission": True,
        "reliable_improvement": True,
        "reliable_deterioration": False,
    }
    cleared = api.as_(owner).patch(f"/api/v1/goals/{objective.pk}", {"measure": None}, format="json")
    assert (cleared.status_code, cleared.json()["measure"], cleared.json()["measure_flags"]) == (200, None, None)


def test_a_measure_on_another_goal_type_is_refused(api, owner, tree):
    response = api.as_(owner).patch(
        f"/api/v1/goals/{tree['long_term'].pk}", {"measure": {"instrument": "gad7", "target_score": 4}}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"measure": ["Only an objective is driven by a measure."]})
    assert TreatmentGoal.objects.get(pk=tree["long_term"].pk).measure_instrument == ""
    missing = api.as_(owner).patch(
        f"/api/v1/goals/{tree['objective'].pk}", {"measure": {"instrument": "gad7"}}, format="json"
    )
    assert (missing.status_code, list(missing.json()["measure"])) == (400, ["target_score"])


def test_a_new_objective_can_be_driven_by_a_measure(api, owner, plan, tree):
    response = api.as_(owner).post(
        f"/api/v1/treatment-plans/{plan.pk}/goals",
        {
            "goal_type": "objective",
            "parent_goal_id": str(tree["short_term"].pk),
            "description": "GAD-7 below 5",
            "measure": {"instrument": "gad7", "baseline_score": 14, "target_score": 4},
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["measure"] == {"instrument": "gad7", "baseline_score": 14, "target_score": 4}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["measurements", "safety-flags", "safety-assessments"])
def test_reading_one_record(api, cast, owner, patient, flagged, role, kind):
    assessment = safety_assessment_record_for(owner, patient)
    record = {"measurements": flagged, "safety-flags": flagged.safety_flag_record, "safety-assessments": assessment}[
        kind
    ]
    response = api.as_(cast[role]).get(f"{base(patient)}/{kind}/{record.pk}")
    assert response.status_code == READ[role]
    if READ[role] == 200:
        assert response.json()["id"] == str(record.pk)
        assert AuditEvent.objects.filter(object_id=str(record.pk), action="view", user=cast[role]).count() == 1
    # An id that names none of this patient's records is not found.
    assert api.as_(owner).get(f"{base(patient)}/{kind}/{uuid.uuid4()}").status_code == 404


def safety_assessment_record_for(owner, patient):
    from treatment.services import safety_assessment_record

    return safety_assessment_record(by=AuditContext(user=owner), patient=patient, note="Assessed; low risk.")
