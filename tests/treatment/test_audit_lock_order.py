"""Audit last: a transaction takes every row lock it could wait for before its first audit append, so it never holds
the audit chain's lock (`accounts.audit_chain`, held to commit) while it waits for a row another audited writer holds.

Real connections on PostgreSQL, with the interleaving forced rather than hoped for: a holder takes a row lock (plan
B's `lock_plan`, a patient's grant rows) and keeps it until the other transaction is blocked on it
(`pg_blocking_pids`), and only then appends its own event (recording progress, a goal edit, `audit_record`). A
writer that had appended before it blocked would hold the chain's lock while the holder waits for it: PostgreSQL
would find the cycle and abort one of the two. Each of these tests fails so on the code before the fix.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client

from accounts.audit import Action, AuditContext, audit_record
from accounts.audit_verify import verify_chain
from accounts.models import DEMOGRAPHIC_FIELDS, AuditEvent, Patient, PatientUserObjectPermission, Role, User
from accounts.services import care_team_set, patient_transfer, patient_update, staff_save
from tests.factories import GoalFactory, PatientFactory, PlanFactory, UserFactory
from tests.support import run_together
from treatment.models import GoalProgress, TreatmentGoal, TreatmentPlan
from treatment.services import goal_update, lock_plan, progress_record

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 10
#: Long enough for any honest wait in these tests; short enough that a hang fails in seconds.
WAIT = 15.0


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; lock order is proven on PostgreSQL (CI)")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def set_local_timeouts() -> None:
    """A deadlock is found after 200 ms and a stuck wait ends after WAIT, so a failure shows in seconds."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL deadlock_timeout = '200ms'")
        cursor.execute(f"SET LOCAL lock_timeout = '{int(WAIT * 1000)}ms'")


def wait_until_blocked_by_me(pid: int) -> None:
    """Return once backend `pid` waits for a lock this connection holds."""
    wait_for_blocker(pid, backend_pid())


def wait_for_blocker(pid: int, blocker: int) -> None:
    """Return once backend `pid` waits for a lock backend `blocker` holds."""
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [blocker, pid])
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for backend {blocker}")


def write_while_held(*, writer: Callable[[], object], hold: Callable[[], object], then: Callable[[], object]) -> None:
    """`hold` takes its row locks; `writer` starts and blocks on them; only then does the holder run `then` (which
    appends an audit event) and commit. A writer that appended an event before it blocked deadlocks here."""
    writer_pid: list[int] = []
    started = threading.Event()

    def writing() -> None:
        with transaction.atomic():
            set_local_timeouts()
            writer_pid.append(backend_pid())
            assert started.wait(timeout=WAIT)
            writer()

    def holding() -> None:
        with transaction.atomic():
            set_local_timeouts()
            hold()
            started.set()
            while not writer_pid:
                time.sleep(0.01)
            wait_until_blocked_by_me(writer_pid[0])
            then()

    run_together(writing, holding, timeout=3 * WAIT)


def transfer_while_plan_is_written(
    *, transfer: Callable[[], object], patient: Patient, held: TreatmentPlan, write: Callable[[AuditContext], object]
) -> None:
    """The plan writer holds `held`'s lock; the transfer starts, blocks on it; then the writer writes and audits."""
    acting = AuditContext.system("tests", user=Patient.objects.get(pk=patient.pk).primary_therapist)
    write_while_held(writer=transfer, hold=lambda: lock_plan(held.pk), then=lambda: write(acting))


def service_transfer(admin: User, patient: Patient, to: User) -> Callable[[], object]:
    return lambda: patient_transfer(by=AuditContext.system("tests", user=admin), patient=patient, therapist=to)


@pytest.fixture
def second_therapist(practice, supervisor) -> User:
    return UserFactory(practice=practice, supervisor=supervisor, email="second@riverside.example")


@pytest.fixture
def plans(patient) -> list[TreatmentPlan]:
    """The patient's two open plans, in the order the transfer locks them (by pk)."""
    made = [
        PlanFactory(patient=patient, title="Anxiety plan"),
        PlanFactory(patient=patient, title="Sleep plan", start_date=datetime.date(2026, 9, 2)),
    ]
    return sorted(made, key=lambda plan: plan.pk)


def test_a_transfer_and_progress_on_the_patients_second_plan_both_complete(
    practice_admin, owner, second_therapist, patient, plans
):
    goal = GoalFactory(plan=plans[1], description="Sleep through the night")
    therapists = [owner, second_therapist]

    for round_ in range(ROUNDS):
        previous, new = therapists[round_ % 2], therapists[(round_ + 1) % 2]
        progress_before = AuditEvent.objects.filter(object_type="treatment.goalprogress").count()

        transfer_while_plan_is_written(
            transfer=service_transfer(practice_admin, patient, new),
            patient=patient,
            held=plans[1],
            write=lambda by, r=round_: progress_record(by=by, goal=goal, progress_note="Slept", rating=1 + r),
        )

        assert Patient.objects.get(pk=patient.pk).primary_therapist == new
        assert set(TreatmentPlan.objects.filter(patient=patient).values_list("therapist", flat=True)) == {new.pk}
        assert GoalProgress.objects.filter(goal=goal).count() == round_ + 1
        assert TreatmentGoal.objects.get(pk=goal.pk).progress_percentage == 10 * (1 + round_)
        moves = AuditEvent.objects.filter(object_type="treatment.treatmentplan", changes__has_key="therapist")
        assert {str(e.object_id) for e in moves.filter(changes__therapist=[str(previous.pk), str(new.pk)])} == {
            str(plan.pk) for plan in plans
        }
        assert AuditEvent.objects.filter(object_type="treatment.goalprogress").count() == progress_before + 1
    assert verify_chain().checked == AuditEvent.objects.count()


def test_a_transfer_and_a_goal_edit_on_the_patients_second_plan_both_complete(
    practice_admin, owner, second_therapist, patient, plans
):
    goal = GoalFactory(plan=plans[1], description="Sleep through the night")

    transfer_while_plan_is_written(
        transfer=service_transfer(practice_admin, patient, second_therapist),
        patient=patient,
        held=plans[1],
        write=lambda by: goal_update(by=by, goal=goal, priority=3),
    )

    assert Patient.objects.get(pk=patient.pk).primary_therapist == second_therapist
    assert set(TreatmentPlan.objects.filter(patient=patient).values_list("therapist", flat=True)) == {
        second_therapist.pk
    }
    assert TreatmentGoal.objects.get(pk=goal.pk).priority == 3
    assert verify_chain().checked == AuditEvent.objects.count()


def test_an_admin_save_that_edits_the_patient_and_transfers_care_and_progress_on_a_plan_both_complete(
    practice_admin, owner, second_therapist, patient, plans
):
    """The admin's patient form changes demographics and the therapist in one transaction (both services)."""
    goal = GoalFactory(plan=plans[1], description="Sleep through the night")
    client = Client()
    client.force_login(practice_admin)
    form = {
        **{name: getattr(patient, name) or "" for name in DEMOGRAPHIC_FIELDS},
        "date_of_birth": patient.date_of_birth.isoformat(),
        "phone": "555-0142",
        "primary_therapist": str(second_therapist.pk),
    }
    responses: list[HttpResponse] = []

    transfer_while_plan_is_written(
        transfer=lambda: responses.append(client.post(f"/admin/accounts/patient/{patient.pk}/change/", form)),
        patient=patient,
        held=plans[1],
        write=lambda by: progress_record(by=by, goal=goal, progress_note="Slept", rating=6),
    )

    assert responses[0].status_code == 302, responses[0].context and responses[0].context["adminform"].form.errors
    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.phone, stored.primary_therapist) == ("555-0142", second_therapist)
    assert set(TreatmentPlan.objects.filter(patient=patient).values_list("therapist", flat=True)) == {
        second_therapist.pk
    }
    assert TreatmentGoal.objects.get(pk=goal.pk).progress_percentage == 60
    assert verify_chain().checked == AuditEvent.objects.count()


def test_a_supervisor_change_and_a_writer_holding_a_patients_grants_both_complete(
    practice, practice_admin, owner, supervisor, patient
):
    """Changing a therapist's supervisor rewrites the grants on their patients: those rows before any event."""
    new_supervisor = UserFactory(practice=practice, role=Role.SUPERVISOR, email="supervisor2@riverside.example")
    grants = PatientUserObjectPermission.objects.filter(content_object=patient)

    write_while_held(
        writer=lambda: staff_save(
            by=AuditContext.system("tests", user=practice_admin),
            user=User.objects.get(pk=owner.pk),
            email=owner.email,
            role=owner.role,
            practice=practice,
            supervisor=new_supervisor,
        ),
        hold=lambda: list(grants.select_for_update()),
        then=lambda: audit_record(AuditContext.system("tests", user=owner), Action.VIEW, patient),
    )

    assert User.objects.get(pk=owner.pk).supervisor == new_supervisor
    assert set(grants.values_list("user__email", "permission__codename")) == {
        (owner.email, "view_patient"),
        (owner.email, "change_patient"),
        (new_supervisor.email, "view_patient"),
    }
    assert verify_chain().checked == AuditEvent.objects.count()


def test_a_supervisor_change_and_a_care_team_edit_on_one_of_the_patients_both_complete(
    practice, practice_admin, owner, supervisor
):
    """The edit (the patient's page: details, then care team) audits, then rewrites the patient's grants; the
    supervisor change rewrites the grants on all the therapist's patients before its events. A third transaction
    holding the second patient's grants stops the supervisor change half-way, with the first patient's grants
    rewritten, until the edit waits for it."""
    new_supervisor = UserFactory(practice=practice, role=Role.SUPERVISOR, email="supervisor2@riverside.example")
    member = UserFactory(practice=practice, supervisor=new_supervisor, email="member@riverside.example")
    first, second = sorted([PatientFactory(primary_therapist=owner) for _ in range(2)], key=lambda p: p.pk)
    pids: dict[str, int] = {}
    ready = {name: threading.Event() for name in ("holder", "staff", "edit", "release")}

    def holder() -> None:
        with transaction.atomic():
            set_local_timeouts()
            pids["holder"] = backend_pid()
            list(PatientUserObjectPermission.objects.filter(content_object=second).select_for_update())
            ready["holder"].set()
            assert ready["staff"].wait(timeout=WAIT)
            wait_until_blocked_by_me(pids["staff"])
            ready["release"].set()
            assert ready["edit"].wait(timeout=WAIT)
            wait_for_blocker(pids["edit"], pids["staff"])

    def supervisor_change() -> None:
        assert ready["holder"].wait(timeout=WAIT)
        with transaction.atomic():
            set_local_timeouts()
            pids["staff"] = backend_pid()
            ready["staff"].set()
            staff_save(
                by=AuditContext.system("tests", user=practice_admin),
                user=User.objects.get(pk=owner.pk),
                email=owner.email,
                role=owner.role,
                practice=practice,
                supervisor=new_supervisor,
            )

    def edit() -> None:
        assert ready["release"].wait(timeout=WAIT)
        by = AuditContext.system("tests", user=owner)
        with transaction.atomic():
            set_local_timeouts()
            pids["edit"] = backend_pid()
            ready["edit"].set()
            patient = Patient.objects.get(pk=first.pk)
            patient_update(by=by, patient=patient, phone="555-0142")
            care_team_set(by=by, patient=patient, members=[member])

    run_together(holder, supervisor_change, edit, timeout=3 * WAIT)

    assert User.objects.get(pk=owner.pk).supervisor == new_supervisor
    assert Patient.objects.get(pk=first.pk).phone == "555-0142"
    grants = PatientUserObjectPermission.objects.filter(content_object=first)
    assert set(grants.values_list("user__email", "permission__codename")) == {
        (owner.email, "view_patient"),
        (owner.email, "change_patient"),
        (member.email, "view_patient"),
        (member.email, "change_patient"),
        (new_supervisor.email, "view_patient"),
    }
    assert verify_chain().checked == AuditEvent.objects.count()
