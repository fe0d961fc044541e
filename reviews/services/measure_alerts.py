"""Alerts a measurement sends: a safety flag raised, a reliable deterioration shown (the receivers of
`treatment.signals.safety_flag_raised` and `measure_deteriorated`).

They reach the patient's clinician (the primary therapist, else whoever administered the measure) and
that clinician's supervisor, in-app and by email, through the reminders' path (`reminders._email`: sent
after commit, claimed once, retried by the sweep). Each recipient is alerted once per measurement and kind:
the unique constraint `notification_once_per_measurement_kind` decides, not the caller. The text names the
patient by initials only and says nothing of the answers or the score: the email carries no PHI.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.audit import AuditContext
from accounts.models import User
from reviews.models import AlertKind, Notification
from reviews.services.reminders import _email
from treatment.models import Measurement, SafetyFlag, TreatmentGoal


def _recipients(measurement: Measurement) -> list[User]:
    clinician = measurement.patient.primary_therapist or measurement.administered_by
    people = [clinician]
    supervisor = clinician.supervisor
    if supervisor is not None and supervisor.pk != clinician.pk:
        people.append(supervisor)
    return [person for person in people if person.is_active]


def _alert(measurement: Measurement, kind: str, title: str, body: str) -> list[Notification]:
    """Create the alert's notifications (each once: a savepoint per recipient) and send their emails after commit."""
    link = reverse("patient-detail", args=[measurement.patient_id])
    created: list[Notification] = []
    for person in _recipients(measurement):
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        recipient=person, kind=kind, title=title, body=body, link=link, measurement=measurement
                    )
                )
        except IntegrityError:
            continue  # this recipient already has this alert
    ids = [n.pk for n in created]
    if ids:
        # robust: a failed send is logged and retried by the reminder sweep; it never undoes the measurement.
        transaction.on_commit(lambda: _email(ids), robust=True)
    return created


def safety_flag_notify(*, by: AuditContext, flag: SafetyFlag, measurement: Measurement, **kwargs: Any) -> None:
    initials = measurement.patient.initials
    _alert(
        measurement,
        AlertKind.SAFETY_FLAG,
        f"Safety flag — {initials}",
        f"A standardized measure recorded for {initials} raised a safety flag. Assess the risk and record "
        "the assessment in Trellis.",
    )


def deterioration_notify(
    *, by: AuditContext, measurement: Measurement, goals: list[TreatmentGoal], **kwargs: Any
) -> None:
    initials = measurement.patient.initials
    count = len(goals)
    _alert(
        measurement,
        AlertKind.DETERIORATION,
        f"Reliable deterioration — {initials}",
        f"A standardized measure recorded for {initials} shows reliable deterioration from baseline on "
        f"{count} objective{'' if count == 1 else 's'}. Review the plan in Trellis.",
    )
