"""The goal trees the benchmarks measure: built in bulk, then rolled up once by the service."""

import datetime
import random

from django.utils import timezone


def grow_practice(*, clinicians: int, patients: int, name: str = "Bench practice") -> tuple[dict, list]:
    """One practice of `clinicians` (a tenth of them supervisors, at least one, each therapist supervised) and an
    admin, their addresses at the practice name's first word (so that two practices can share a database), and
    `patients` patients spread over the therapists, a fifth with a second therapist on the care team, their
    grants written by the one writer. Returns ({"therapist", "supervisor", "practice admin"}: a user of each,
    the patients)."""
    from accounts.models import CareTeamMembership, Patient, Practice, Role, User
    from accounts.permissions import sync_patient_access

    # The benchmark signs in with force_login (no second factor): it measures pages, not the sign-in.
    practice = Practice.objects.create(name=name, mfa_required=False)
    domain = f"{name.split()[0].lower()}.example"
    supervisors = [
        User.objects.create_user(f"sup{i}@{domain}", "x", practice=practice, role=Role.SUPERVISOR)
        for i in range(max(1, clinicians // 10))
    ]
    therapists = [
        User.objects.create_user(
            f"t{i}@{domain}",
            "x",
            practice=practice,
            role=Role.THERAPIST,
            supervisor=supervisors[i % len(supervisors)],
        )
        for i in range(clinicians - len(supervisors))
    ]
    admin = User.objects.create_user(f"admin@{domain}", "x", practice=practice, role=Role.PRACTICE_ADMIN)
    rng = random.Random(7)
    people = Patient.objects.bulk_create(
        [
            Patient(
                practice=practice,
                first_name=f"First{i}",
                last_name=f"Last{i:05d}",
                date_of_birth=datetime.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                primary_therapist=therapists[i % len(therapists)],
                external_id=f"B{i:05d}",
            )
            for i in range(patients)
        ]
    )
    memberships = [CareTeamMembership(patient=p, user_id=p.primary_therapist_id) for p in people]
    memberships += [CareTeamMembership(patient=p, user=rng.choice(therapists)) for p in people[::5]]
    CareTeamMembership.objects.bulk_create(memberships, ignore_conflicts=True)
    for p in people:
        sync_patient_access(p)
    return {"therapist": therapists[0], "supervisor": supervisors[0], "practice admin": admin}, people


def grow_goal_tree(plan, therapist, *, chains: int, entries_per_goal: int) -> list:
    """`chains` long-term goals, each with a short-term goal with an objective; every goal linked to a
    library intervention and carrying `entries_per_goal` weekly rated progress entries. Returns the goals."""
    from interventions.models import Intervention
    from treatment.models import GoalIntervention, GoalProgress, TreatmentGoal
    from treatment.services import plan_recalculate

    library = list(Intervention.objects.filter(is_system=True).order_by("name")[:10])
    goals = []
    for i in range(chains):
        lt = TreatmentGoal(plan=plan, goal_type="long_term", description=f"Long-term goal {i}", priority=1 + i % 3)
        st = TreatmentGoal(plan=plan, goal_type="short_term", parent_goal=lt, description=f"Short-term goal {i}")
        ob = TreatmentGoal(plan=plan, goal_type="objective", parent_goal=st, description=f"Objective {i}")
        goals += [lt, st, ob]
    TreatmentGoal.objects.bulk_create(goals)
    GoalIntervention.objects.bulk_create(
        [GoalIntervention(goal=g, intervention=library[i % len(library)]) for i, g in enumerate(goals)]
    )
    now = timezone.now()
    GoalProgress.objects.bulk_create(
        [
            GoalProgress(
                goal=g,
                progress_note="Practised the skill between sessions.",
                progress_value=str(k),
                rating=1 + (i + k) % 10,
                recorded_by=therapist,
                recorded_at=now - datetime.timedelta(days=7 * (entries_per_goal - k)),
            )
            for i, g in enumerate(goals)
            for k in range(entries_per_goal)
        ]
    )
    plan_recalculate(plan)
    return goals


def therapist_and_patient():
    """A practice (signing in without a second factor: the benchmarks measure pages, not the sign-in), a
    therapist of it and their patient, as the services make them."""
    from accounts.audit import AuditContext
    from accounts.models import Practice, Role, User
    from accounts.services import patient_create

    practice = Practice.objects.create(name="Bench practice", mfa_required=False)
    therapist = User.objects.create_user(
        "t@bench.example", "x", practice=practice, role=Role.THERAPIST, full_name="Bench Therapist"
    )
    patient = patient_create(
        by=AuditContext.system("bench"),
        practice=practice,
        primary_therapist=therapist,
        first_name="Bench",
        last_name="Patient",
        date_of_birth=datetime.date(1990, 1, 1),
    )
    return therapist, patient
