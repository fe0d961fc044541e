"""Scores driving objectives, safety flags and their alerts, and the assessment that clears a flag.

The figures are hand-computed from the rules in `treatment.measures` (baseline, progress, flags) and the
sources in `treatment.instruments`.
"""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import Notification
from reviews.services.measure_alerts import safety_flag_notify
from tests.factories import GoalFactory, PatientFactory
from treatment.instruments import GAD7, PCL5, PHQ9
from treatment.measures import flags_from, progress_from
from treatment.models import GoalStatus, Measurement, SafetyAssessment, SafetyFlag, TreatmentGoal, TreatmentPlan
from treatment.services import goal_update, measurement_record, progress_record, safety_assessment_record

pytestmark = pytest.mark.django_db

D = datetime.date


def phq9(total: int, item9: int = 0) -> list[int]:
    """PHQ-9 answers summing to `total` with item 9 as given."""
    rest = total - item9
    answers = []
    for _ in range(8):
        value = min(3, rest)
        answers.append(value)
        rest -= value
    assert rest == 0
    return [*answers, item9]


@pytest.fixture
def by(owner):
    return AuditContext(user=owner)


@pytest.fixture
def measured(by, tree):
    """The tree's objective, driven by the PHQ-9 towards 5 (default baseline rule)."""
    return goal_update(by=by, goal=tree["objective"], measure_instrument="phq9", measure_target_score=5)


def record(by, patient, total, day, item9=0, instrument="phq9"):
    answers = phq9(total, item9) if instrument == "phq9" else None
    return measurement_record(by=by, patient=patient, instrument=instrument, answers=answers, administered_on=day)


def fresh(goal) -> TreatmentGoal:
    return TreatmentGoal.objects.get(pk=goal.pk)


# --- the pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "target", "score", "progress"),
    [
        (20, 5, 20, 0),  # no change
        (20, 5, 12, 53),  # 100 * 8 / 15 = 53.3
        (10, 2, 9, 13),  # 100 * 1 / 8 = 12.5, half up
        (20, 5, 5, 100),  # at the target
        (20, 5, 0, 100),  # past it: 133, clamped
        (20, 5, 24, 0),  # above the baseline: -27, clamped
        (5, 5, 5, 100),  # baseline == target, at it
        (5, 5, 3, 100),  # baseline == target, below it
        (5, 5, 6, 0),  # baseline == target, above it
    ],
)
def test_progress_from_a_score(baseline, target, score, progress):
    assert progress_from(baseline, target, score) == progress


@pytest.mark.parametrize(
    ("instrument", "baseline", "score", "flags"),
    [
        # response, remission, reliable improvement, reliable deterioration
        (PHQ9, 20, 10, (True, False, True, False)),  # halved; 10 >= 6
        (PHQ9, 20, 11, (False, False, True, False)),  # 45% down
        (PHQ9, 8, 4, (True, True, False, False)),  # below 5; a drop of 4 < 6
        (PHQ9, 10, 5, (True, False, False, False)),  # 5 is not below 5
        (PHQ9, 10, 15, (False, False, False, False)),  # a rise of 5 < 6
        (PHQ9, 10, 16, (False, False, False, True)),  # a rise of 6
        (PHQ9, 0, 0, (False, True, False, False)),  # nothing to halve from 0
        (GAD7, 12, 8, (False, False, True, False)),  # a drop of 4 >= 4
        (GAD7, 12, 9, (False, False, False, False)),
        (GAD7, 8, 12, (False, False, False, True)),
        (GAD7, 8, 4, (True, True, True, False)),
        (PCL5, 50, 20, (True, None, None, None)),  # no remission score or reliable change for the PCL-5
        (PCL5, 50, 60, (False, None, None, None)),
    ],
)
def test_flags_from_a_score(instrument, baseline, score, flags):
    got = flags_from(instrument, baseline, score)
    assert (got.response, got.remission, got.reliable_improvement, got.reliable_deterioration) == flags


# --- objectives driven by scores ----------------------------------------------------------------


def test_default_baseline_is_the_last_score_on_or_before_the_plan_start(by, patient, plan, measured):
    assert plan.start_date == D(2026, 9, 1)
    record(by, patient, 18, D(2026, 8, 20))
    record(by, patient, 16, D(2026, 9, 1))
    record(by, patient, 12, D(2026, 9, 15))
    goal = fresh(measured)
    # Baseline 16, target 5, score 12: 100 * 4 / 11 = 36.4.
    assert (goal.measure_baseline_used, goal.measure_last_score, goal.progress_percentage) == (16, 12, 36)
    assert goal.current_value == "12 PHQ-9"
    assert goal.status == GoalStatus.IN_PROGRESS


def test_without_a_score_before_the_start_the_baseline_is_the_first_after(by, patient, measured):
    record(by, patient, 20, D(2026, 9, 10))
    record(by, patient, 11, D(2026, 10, 10))
    goal = fresh(measured)
    # 100 * 9 / 15 = 60; a drop of 9: reliable improvement, not yet a response (45%).
    assert (goal.measure_baseline_used, goal.progress_percentage) == (20, 60)
    assert (goal.measure_response, goal.measure_remission, goal.measure_reliable_improvement) == (False, False, True)
    assert goal.measure_reliable_deterioration is False


def test_a_set_baseline_overrides_the_rule(by, patient, measured):
    goal_update(by=by, goal=measured, measure_baseline_score=25)
    record(by, patient, 15, D(2026, 10, 1))
    goal = fresh(measured)
    assert (goal.measure_baseline_used, goal.progress_percentage) == (25, 50)


def test_baseline_equal_to_target(by, patient, measured):
    goal_update(by=by, goal=measured, measure_baseline_score=5, measure_target_score=5)
    record(by, patient, 6, D(2026, 10, 1))
    assert fresh(measured).progress_percentage == 0
    record(by, patient, 5, D(2026, 10, 8))
    assert fresh(measured).progress_percentage == 100


def test_a_score_above_the_baseline_is_zero_progress_and_reliably_worse(by, patient, measured, owner, supervisor):
    record(by, patient, 10, D(2026, 9, 10))
    record(by, patient, 17, D(2026, 10, 1))
    goal = fresh(measured)
    assert (goal.progress_percentage, goal.measure_reliable_deterioration) == (0, True)
    alerts = Notification.objects.filter(kind="measure_deterioration")
    assert sorted(alerts.values_list("recipient__email", flat=True)) == [owner.email, supervisor.email]
    # Still worse next time: no second alert (it was already deteriorated).
    record(by, patient, 18, D(2026, 10, 8))
    assert alerts.count() == 2


def test_the_rollup_after_a_score(by, patient, plan, tree, measured):
    record(by, patient, 20, D(2026, 9, 10))
    record(by, patient, 11, D(2026, 10, 10))
    figures = dict(TreatmentGoal.objects.filter(plan=plan).values_list("pk", "progress_percentage"))
    # One objective under one short-term goal under one long-term goal: 60 all the way up.
    assert figures == {tree["objective"].pk: 60, tree["short_term"].pk: 60, tree["long_term"].pk: 60}
    assert TreatmentPlan.objects.get(pk=plan.pk).overall_progress == 60


def test_the_rollup_weighs_a_measured_objective_beside_a_rated_one(by, patient, plan, tree, measured):
    rated = GoalFactory(parent_goal=tree["short_term"], goal_type="objective", description="Sleep diary", priority=1)
    progress_record(by=by, goal=rated, progress_note="Kept it four nights", rating=4)
    record(by, patient, 20, D(2026, 9, 10))
    record(by, patient, 11, D(2026, 10, 10))
    # (60 + 40) / 2 = 50 at every level above.
    assert TreatmentGoal.objects.get(pk=tree["short_term"].pk).progress_percentage == 50
    assert TreatmentPlan.objects.get(pk=plan.pk).overall_progress == 50


def test_a_rating_does_not_move_a_measured_objective(by, patient, measured):
    record(by, patient, 20, D(2026, 9, 10))
    record(by, patient, 11, D(2026, 10, 10))
    progress_record(by=by, goal=measured, progress_note="Feels better", rating=9, progress_value="much better")
    goal = fresh(measured)
    assert (goal.progress_percentage, goal.current_value) == (60, "11 PHQ-9")


def test_a_discontinued_objective_is_not_moved(by, patient, measured):
    record(by, patient, 20, D(2026, 9, 10))
    goal_update(by=by, goal=measured, status=GoalStatus.DISCONTINUED)
    record(by, patient, 8, D(2026, 10, 10))
    goal = fresh(measured)
    assert (goal.progress_percentage, goal.measure_last_score, goal.current_value) == (0, 20, "20 PHQ-9")


def test_an_achieved_objective_is_not_moved(by, patient, measured):
    record(by, patient, 20, D(2026, 9, 10))
    goal_update(by=by, goal=measured, status=GoalStatus.ACHIEVED)
    record(by, patient, 19, D(2026, 10, 10))
    assert (fresh(measured).progress_percentage, fresh(measured).measure_last_score) == (100, 20)


def test_another_instrument_does_not_move_it(by, patient, measured):
    record(by, patient, 20, D(2026, 9, 10))
    measurement_record(by=by, patient=patient, instrument="gad7", answers=[0] * 7, administered_on=D(2026, 10, 1))
    assert fresh(measured).measure_last_score == 20


def test_setting_a_measure_reads_the_scores_already_recorded(by, patient, tree):
    record(by, patient, 20, D(2026, 9, 10))
    record(by, patient, 14, D(2026, 10, 10))
    goal = goal_update(by=by, goal=tree["objective"], measure_instrument="phq9", measure_target_score=8)
    assert (goal.measure_baseline_used, goal.progress_percentage, goal.measure_reliable_improvement) == (20, 50, True)


def test_a_backdated_score_does_not_replace_the_latest(by, patient, measured):
    record(by, patient, 20, D(2026, 9, 10))
    record(by, patient, 11, D(2026, 10, 10))
    record(by, patient, 25, D(2026, 9, 20), item9=1)  # entered late, for an earlier date
    goal = fresh(measured)
    assert (goal.measure_last_score, goal.progress_percentage) == (11, 60)
    assert Notification.objects.filter(kind="measure_deterioration").count() == 0


def test_progress_of_a_measured_objective_is_not_set_by_hand(by, measured):
    with pytest.raises(ValidationError) as refused:
        goal_update(by=by, goal=measured, progress_percentage=70)
    assert refused.value.message_dict == {
        "progress_percentage": ["This objective's progress comes from its PHQ-9 scores."]
    }


def test_only_an_objective_is_driven_by_a_measure(by, tree):
    with pytest.raises(ValidationError) as refused:
        goal_update(by=by, goal=tree["short_term"], measure_instrument="phq9", measure_target_score=5)
    assert refused.value.message_dict == {"measure": ["Only an objective is driven by a measure."]}


def test_a_measure_needs_a_target_in_range(by, tree):
    with pytest.raises(ValidationError) as refused:
        goal_update(by=by, goal=tree["objective"], measure_instrument="gad7", measure_baseline_score=30)
    assert refused.value.message_dict == {
        "measure.target_score": ["Give the GAD-7 score this objective aims for."],
        "measure.baseline_score": ["A GAD-7 score is between 0 and 21."],
    }


def test_clearing_the_measure_clears_its_figures(by, patient, measured):
    record(by, patient, 20, D(2026, 9, 10))
    goal = goal_update(by=by, goal=measured, measure_instrument="", measure_target_score=None)
    goal = fresh(goal)
    assert (goal.measure_last_score, goal.measure_response, goal.measure_baseline_used) == (None, None, None)


# --- recording -----------------------------------------------------------------------------------


def test_a_measurement_is_scored_and_audited(by, patient):
    m = measurement_record(by=by, patient=patient, instrument="gad7", answers=[3, 3, 2, 2, 1, 1, 0])
    assert (m.total_score, m.severity, m.safety_flag, m.administered_on) == (
        12,
        "Moderate",
        False,
        patient.practice.today(),
    )
    event = AuditEvent.objects.get(object_id=str(m.pk))
    assert (event.action, event.changes["total_score"]) == ("create", [None, 12])


def test_nothing_is_written_on_a_bad_answer(by, patient):
    with pytest.raises(ValidationError) as refused:
        measurement_record(by=by, patient=patient, instrument="phq9", answers=[0, 0, 0, 0, 0, 7, 0, 0, 0])
    assert refused.value.message_dict == {"answers[5]": ["Item 6: answer with one of 0, 1, 2, 3."]}
    assert Measurement.objects.count() == 0


def test_the_session_must_be_the_patients_and_the_date_not_in_the_future(by, owner, patient, plan):
    from treatment.services import session_record

    other = PatientFactory(primary_therapist=owner, first_name="Omar", last_name="Diaz")
    session = session_record(by=by, patient=other, session_date=D(2026, 10, 1), duration_minutes=50)
    tomorrow = patient.practice.today() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        measurement_record(
            by=by, patient=patient, instrument="phq9", answers=phq9(3), session=session, administered_on=tomorrow
        )
    assert refused.value.message_dict == {
        "session_id": ["This session is another patient's."],
        "administered_on": ["A measure cannot be administered in the future."],
    }


def test_a_session_gives_its_date(by, patient, plan):
    from treatment.services import session_record

    session = session_record(by=by, patient=patient, plan=plan, session_date=D(2026, 10, 1), duration_minutes=50)
    m = measurement_record(by=by, patient=patient, instrument="phq9", answers=phq9(3), session=session)
    assert (m.administered_on, m.session_id) == (D(2026, 10, 1), session.pk)


def test_a_measurement_is_never_changed(by, patient):
    m = record(by, patient, 9, D(2026, 10, 1))
    with pytest.raises(PermissionError):
        m.save()
    with pytest.raises(PermissionError):
        m.delete()
    with pytest.raises(PermissionError):
        Measurement.objects.filter(pk=m.pk).update(total_score=1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_the_database_refuses_to_change_a_measurement_or_a_cleared_flag(by, patient):
    m = record(by, patient, 9, D(2026, 10, 1), item9=1)
    for statement in (
        "UPDATE treatment_measurement SET total_score = 1 WHERE id = %s",
        "DELETE FROM treatment_measurement WHERE id = %s",
        "DELETE FROM treatment_safetyflag WHERE measurement_id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [m.pk])
    safety_assessment_record(by=by, patient=patient, note="Assessed: no current intent; safety plan reviewed.")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE treatment_safetyflag SET status = 'open' WHERE measurement_id = %s", [m.pk])


# --- safety flags --------------------------------------------------------------------------------


def test_item_9_raises_one_flag_and_alerts_the_clinician_and_supervisor_once(
    by, patient, owner, supervisor, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        m = record(by, patient, 14, D(2026, 10, 1), item9=2)
    flag = SafetyFlag.objects.get()
    assert (flag.measurement_id, flag.status, m.safety_flag) == (m.pk, "open", True)
    alerts = Notification.objects.filter(kind="safety_flag")
    assert sorted(alerts.values_list("recipient__email", flat=True)) == [owner.email, supervisor.email]
    assert sorted(e.to[0] for e in mailoutbox) == [owner.email, supervisor.email]
    # The receiver run again (a retried signal) alerts nobody twice: the unique constraint decides.
    with django_capture_on_commit_callbacks(execute=True):
        safety_flag_notify(by=by, flag=flag, measurement=m)
    assert (alerts.count(), len(mailoutbox)) == (2, 2)
    # A later measurement without item 9 raises nothing.
    with django_capture_on_commit_callbacks(execute=True):
        record(by, patient, 14, D(2026, 10, 8))
    assert (SafetyFlag.objects.count(), alerts.count(), len(mailoutbox)) == (1, 2, 2)


def test_the_alert_email_carries_no_phi(by, patient, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(by, patient, 14, D(2026, 10, 1), item9=2)
    assert len(mailoutbox) == 2
    for email in mailoutbox:
        text = " ".join([email.subject, email.body, email.alternatives[0][0]])
        # The score as a figure of its own (the link's patient id is random hex, which may hold "14").
        assert not re.search(r"(?<![0-9a-f-])14(?![0-9a-f-])", text)
        for phi in (patient.first_name, patient.last_name, "item 9", "Moderate", str(patient.date_of_birth)):
            assert phi not in text
        assert "E.C." in email.subject
        assert f"/patients/{patient.pk}/" in email.body


def test_an_assessment_clears_the_open_flags_and_keeps_their_history(by, owner, patient):
    first = record(by, patient, 14, D(2026, 10, 1), item9=1)
    second = record(by, patient, 12, D(2026, 10, 8), item9=1)
    assessment = safety_assessment_record(by=by, patient=patient, note="  Assessed risk: low; plan reviewed.  ")
    flags = list(SafetyFlag.objects.order_by("raised_at"))
    assert [f.measurement_id for f in flags] == [first.pk, second.pk]
    assert {(f.status, f.cleared_by_id, f.assessment_id) for f in flags} == {("cleared", owner.pk, assessment.pk)}
    assert assessment.note == "Assessed risk: low; plan reviewed."
    assert AuditEvent.objects.filter(object_id__in=[str(f.pk) for f in flags], action="update").count() == 2
    with pytest.raises(ValidationError) as refused:
        safety_assessment_record(by=by, patient=patient, note="Again")
    assert refused.value.message_dict == {"flags": ["This patient has no open safety flag to clear."]}
    assert SafetyAssessment.objects.count() == 1


def test_an_assessment_needs_a_note_and_a_clinician(by, patient, practice_admin):
    record(by, patient, 14, D(2026, 10, 1), item9=1)
    with pytest.raises(ValidationError) as refused:
        safety_assessment_record(by=by, patient=patient, note="   ")
    assert refused.value.message_dict == {"note": ["Write what the risk assessment found and what was done."]}
    with pytest.raises(PermissionDenied):
        safety_assessment_record(by=AuditContext(user=practice_admin), patient=patient, note="Looked at it")
    assert SafetyFlag.objects.get().status == "open"


def test_a_supervisor_cannot_record_one(patient, supervisor, by):
    with pytest.raises(PermissionDenied):
        measurement_record(by=AuditContext(user=supervisor), patient=patient, instrument="phq9", answers=phq9(1))


def test_the_alert_is_in_the_recipients_notifications_while_they_see_the_patient(api, by, owner, patient):
    record(by, patient, 14, D(2026, 10, 1), item9=1)
    [alert] = api.as_(owner).get("/api/v1/notifications").json()["results"]
    assert (alert["kind"], alert["title"], alert["link"], alert["plan_id"]) == (
        "safety_flag",
        "Safety flag — E.C.",
        f"/patients/{patient.pk}/",
        None,
    )
    assert AuditEvent.objects.filter(object_id=alert["id"], action="view").count() == 1
    # Off the care team (a transfer, say), the alert goes with the access: even the initials are not theirs now.
    from accounts.models import PatientUserObjectPermission

    PatientUserObjectPermission.objects.filter(user=owner, content_object=patient).delete()
    assert api.as_(owner).get("/api/v1/notifications").json()["results"] == []
