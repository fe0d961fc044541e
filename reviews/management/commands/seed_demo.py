"""manage.py seed_demo: the demo practices, staff and patients, their treatment plans, and the plans' reviews,
review reminders and a progress report."""

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.audit import AuditContext
from accounts.demo import DEMO_PASSWORD, DEMO_STAFF, seed_people
from accounts.models import Patient, Role
from reviews.demo import demo_plans, seed_reviews
from reviews.models import Notification, PlanReview, ProgressReport, ReviewReminder
from treatment.demo import seed_measures, seed_plans
from treatment.models import GoalProgress, Measurement, SafetyFlag, TherapySession, TreatmentGoal, TreatmentPlan

COUNTED = [
    ("patients", Patient),
    ("treatment plans", TreatmentPlan),
    ("goals", TreatmentGoal),
    ("sessions", TherapySession),
    ("progress entries", GoalProgress),
    ("measurements", Measurement),
    ("safety flags", SafetyFlag),
    ("plan reviews", PlanReview),
    ("review reminders", ReviewReminder),
    ("notifications", Notification),
    ("progress reports", ProgressReport),
]


class Command(BaseCommand):
    help = (
        "Create the demo practices, staff and patients, and give the patients treatment plans with goals, "
        "interventions and months of weekly sessions and progress, standardized measures, reviews, review "
        "reminders and a progress report. Safe to re-run: what exists is left as it is."
    )

    def handle(self, *args, **opts):
        before = [model.objects.count() for _, model in COUNTED]
        with transaction.atomic():
            by = AuditContext.system("manage.py seed_demo")
            _practices, staff, patients = seed_people(by)
            seed_plans(by, staff, patients)
            seed_measures(by, patients)
            seed_reviews(by, demo_plans())
        added = [model.objects.count() - count for (_, model), count in zip(COUNTED, before, strict=True)]
        summary = ", ".join(f"{n} {label}" for (label, _), n in zip(COUNTED, added, strict=True))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. New: {summary}."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}; two-step sign-in is off for the demo practices):")
        for email, _name, _, role, _, practice in DEMO_STAFF:
            self.stdout.write(f"  {email:<28} {Role(role).label:<15} {practice}")
