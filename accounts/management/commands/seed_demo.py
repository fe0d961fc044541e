"""An idempotent demo practice for `make run`: log in as any of DEMO_STAFF with DEMO_PASSWORD."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.audit import AuditContext
from accounts.models import Patient, Practice, Role

DEMO_PASSWORD = "Trellis-demo-2026"
PRACTICE = "Riverside Counseling Collective"
OTHER_PRACTICE = "Harbor Family Therapy"

# (email, full name, credentials, role, supervisor email, practice)
DEMO_STAFF = [
    ("admin@riverside.example", "Morgan Ellis", "", Role.PRACTICE_ADMIN, None, PRACTICE),
    ("rivera@riverside.example", "Dr. Ana Rivera", "PsyD", Role.SUPERVISOR, None, PRACTICE),
    ("lee@riverside.example", "Jordan Lee", "LCSW", Role.THERAPIST, "rivera@riverside.example", PRACTICE),
    ("patel@riverside.example", "Sam Patel", "LPC", Role.THERAPIST, "rivera@riverside.example", PRACTICE),
    ("admin@harbor.example", "Casey Brooks", "", Role.PRACTICE_ADMIN, None, OTHER_PRACTICE),
    ("nguyen@harbor.example", "Linh Nguyen", "LMFT", Role.THERAPIST, None, OTHER_PRACTICE),
]

# (MRN, first, last, date of birth, primary therapist email, other care-team emails, status)
DEMO_PATIENTS = [
    ("RCC-1001", "Emily", "Carter", "1991-04-12", "lee@riverside.example", [], "active"),
    ("RCC-1002", "Marcus", "Johnson", "1985-09-30", "lee@riverside.example", [], "active"),
    ("RCC-1003", "Sofia", "Martinez", "2001-01-22", "lee@riverside.example", ["patel@riverside.example"], "active"),
    ("RCC-1004", "Daniel", "Kim", "1978-06-05", "patel@riverside.example", [], "active"),
    ("RCC-1005", "Aisha", "Thompson", "1995-11-17", "patel@riverside.example", [], "active"),
    ("RCC-1006", "Robert", "Walsh", "1963-03-08", "rivera@riverside.example", [], "active"),
    ("RCC-1007", "Grace", "Okafor", "1999-08-25", "patel@riverside.example", [], "discharged"),
    ("HFT-2001", "Noah", "Fischer", "1988-02-14", "nguyen@harbor.example", [], "active"),
]


class Command(BaseCommand):
    help = "Create (or bring up to date) the demo practices, staff and patients. Safe to re-run."

    @transaction.atomic
    def handle(self, *args, **opts):
        by = AuditContext.system("manage.py seed_demo")
        practices = {
            name: Practice.objects.get_or_create(name=name, defaults={"time_zone": tz})[0]
            for name, tz in [(PRACTICE, "America/Chicago"), (OTHER_PRACTICE, "America/Los_Angeles")]
        }
        staff = {}
        for email, name, credentials, role, supervisor, practice in DEMO_STAFF:
            staff[email], _ = services.staff_save(
                email=email,
                password=DEMO_PASSWORD,
                role=role,
                practice=practices[practice],
                full_name=name,
                credentials=credentials,
                supervisor=staff.get(supervisor),
                is_active=True,
            )
        created = 0
        for mrn, first, last, dob, primary, others, status in DEMO_PATIENTS:
            therapist = staff[primary]
            if Patient.objects.filter(practice=therapist.practice, external_id=mrn).exists():
                continue
            services.patient_create(
                by=by,
                practice=therapist.practice,
                primary_therapist=therapist,
                care_team=[staff[e] for e in others],
                external_id=mrn,
                first_name=first,
                last_name=last,
                date_of_birth=datetime.date.fromisoformat(dob),
                email=f"{first.lower()}.{last.lower()}@mail.example",
                phone="555-0100",
                status=status,
            )
            created += 1
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new patients)."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for email, _name, _, role, _, practice in DEMO_STAFF:
            self.stdout.write(f"  {email:<28} {Role(role).label:<15} {practice}")
