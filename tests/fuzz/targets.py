"""The records `make fuzz` points the API's path parameters at: `export FUZZ_...=...` lines for run.sh.

The fuzz user is the demo practice admin (they see and change the whole practice and read its audit trail),
so with real ids the fuzzer gets past the 404s to the serializers, the services and the database. Writes go to
records of their own where they change state (one plan for plan edits and goals, another for reviews), so a
status the fuzzer closes a plan with does not turn every other operation into a "plan is closed" 400.

Run it with the fuzz database configured: `python -m tests.fuzz.targets EMAIL`.
"""

from __future__ import annotations

import os
import shlex
import sys

import django


def targets(email: str) -> dict[str, str]:
    from accounts.audit import AuditContext
    from accounts.demo import DEMO_PASSWORD
    from accounts.models import AuditEvent, Patient, User
    from interventions.models import Intervention
    from reviews.models import Notification, PlanReview, PlanVersion, ProgressReport
    from treatment.models import GoalIntervention, TherapySession, TreatmentGoal, TreatmentPlan
    from treatment.services import plan_create

    user = User.objects.get(email=email)
    patients = Patient.objects.restrict(user, "change").filter(status=Patient.Status.ACTIVE)
    plans = TreatmentPlan.objects.open().filter(patient__in=patients).order_by("created_at")
    # Reviews, versions and reports: a plan that has been reviewed.
    reviewed = plans.filter(reviews__isnull=False).first()
    patient = reviewed.patient
    # Goal writes: another plan's tree.
    edited = plans.exclude(pk=reviewed.pk).filter(goals__isnull=False).first()
    # Plan edits (which may close it): a plan of its own.
    spare = plan_create(
        by=AuditContext.system("make fuzz"),
        patient=patient,
        title="Fuzzed plan",
        start_date=reviewed.start_date,
        therapist=reviewed.therapist,
    )
    # Patient edits (which may discharge them): a patient whose plans the other operations do not use.
    other_patient = patients.exclude(pk__in=[patient.pk, edited.patient_id]).order_by("external_id").first()
    goal = TreatmentGoal.objects.filter(plan=edited).order_by("created_at").first()
    link = GoalIntervention.objects.filter(goal__plan=edited).order_by("created_at").first()
    notification = Notification.objects.filter(recipient=user).first() or Notification.objects.first()
    custom = Intervention.objects.filter(practice=user.practice).first() or Intervention.objects.first()
    return {
        "FUZZ_PASSWORD": DEMO_PASSWORD,
        "FUZZ_PATIENT": str(patient.pk),
        "FUZZ_OTHER_PATIENT": str(other_patient.pk),
        "FUZZ_REVIEWED_PLAN": str(reviewed.pk),
        "FUZZ_EDITED_PLAN": str(edited.pk),
        "FUZZ_SPARE_PLAN": str(spare.pk),
        "FUZZ_GOAL": str(goal.pk),
        "FUZZ_LINK_GOAL": str(link.goal_id),
        "FUZZ_LINK": str(link.pk),
        "FUZZ_SESSION": str(TherapySession.objects.filter(patient=patient).order_by("session_date").first().pk),
        "FUZZ_REVIEW": str(PlanReview.objects.filter(plan=reviewed).first().pk),
        "FUZZ_VERSION": str(PlanVersion.objects.filter(plan=reviewed).order_by("number").first().number),
        "FUZZ_REPORT": str(ProgressReport.objects.filter(plan__patient__practice=user.practice).first().pk),
        "FUZZ_NOTIFICATION": str(notification.pk),
        "FUZZ_STAFF": str(user.pk),
        "FUZZ_INTERVENTION": str(custom.pk),
        "FUZZ_AUDIT_EVENT": str(AuditEvent.objects.filter(practice_id=user.practice_id).first().pk),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    for name, value in targets(sys.argv[1]).items():
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
