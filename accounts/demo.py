"""The demo practices, staff and patients: log in as any of DEMO_STAFF with DEMO_PASSWORD.

Two-step sign-in (MFA) is off for the demo practices, so the demo logins need only the password; anyone may
still set it up from their account page.

`manage.py seed_demo` (in the reviews app: it adds treatment plans, reviews, reminders and a report) calls
`seed_people`; it is idempotent: staff are brought up to date, existing patients are left alone.
"""

from __future__ import annotations

import datetime

from accounts import services
from accounts.audit import AuditContext
from accounts.models import Patient, Practice, Role, User

DEMO_PASSWORD = "Trellis-demo-2026"
PRACTICE = "Riverside Counseling Collective"
OTHER_PRACTICE = "Harbor Family Therapy"
PRACTICE_TIME_ZONES = [(PRACTICE, "America/Chicago"), (OTHER_PRACTICE, "America/Los_Angeles")]

# (email, full name, credentials, role, supervisor email, practice)
DEMO_STAFF = [
    ("admin@riverside.example", "Morgan Ellis", "", Role.PRACTICE_ADMIN, None, PRACTICE),
    ("rivera@riverside.example", "Dr. Ana Rivera", "PsyD", Role.SUPERVISOR, None, PRACTICE),
    ("lee@riverside.example", "Jordan Lee", "LCSW", Role.THERAPIST, "rivera@riverside.example", PRACTICE),
    ("patel@riverside.example", "Sam Patel", "LPC", Role.THERAPIST, "rivera@riverside.example", PRACTICE),
    ("admin@harbor.example", "Casey Brooks", "", Role.PRACTICE_ADMIN, None, OTHER_PRACTICE),
    ("nguyen@harbor.example", "Linh Nguyen", "LMFT", Role.THERAPIST, None, OTHER_PRACTICE),
]

#: Clinicians whose treatment plans need their supervisor's co-signature (a supervisee still under supervision).
DEMO_SUPERVISED = {"patel@riverside.example"}

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


def seed_people(by: AuditContext) -> tuple[dict[str, Practice], dict[str, User], dict[str, Patient]]:
    """Create (or bring up to date) the demo practices, staff and patients.

    Returns ({practice name: Practice}, {email: User}, {MRN: Patient}); a patient who already
    exists (by practice and MRN) is returned as it is, not changed.
    """
    practices = {
        name: Practice.objects.get_or_create(name=name, defaults={"time_zone": tz})[0]
        for name, tz in PRACTICE_TIME_ZONES
    }
    # A new practice requires MFA; the demo's shared logins would all be sent to enrolment.
    Practice.objects.filter(pk__in=[p.pk for p in practices.values()]).update(mfa_required=False)
    for demo_practice in practices.values():
        demo_practice.mfa_required = False
    staff: dict[str, User] = {}
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
            needs_supervision=email in DEMO_SUPERVISED,
        )
    patients: dict[str, Patient] = {}
    for mrn, first, last, dob, primary, others, status in DEMO_PATIENTS:
        therapist = staff[primary]
        existing = Patient.objects.filter(practice=therapist.practice, external_id=mrn).first()
        patients[mrn] = existing or services.patient_create(
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
    return practices, staff, patients
