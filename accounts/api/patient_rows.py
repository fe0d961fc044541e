"""The patients list, written from a page of patients and one query of their care teams.

`PatientSerializer` stays the definition of a patient's representation: the OpenAPI schema comes from it, the
patient detail and writes answer with it, and tests/accounts/test_patient_rows.py holds what is built here to its
output byte for byte. A serializer per patient and per clinician it names (the primary therapist and each of the
care team, with a related manager per patient for the prefetch) cost the list most of its time at practice scale
(issue 16); here the page's own rows and the care teams' values become the answer's dicts directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers

from accounts.api.serializers import StaffSummarySerializer
from accounts.models import DEMOGRAPHIC_FIELDS, CareTeamMembership, Patient

#: What the list names of a clinician (`StaffSummarySerializer`'s fields), by their `values()` names.
STAFF_FIELDS: tuple[str, ...] = tuple(StaffSummarySerializer.Meta.fields)


def patients_for_rows(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """`patients` loading what `patient_rows` reads: the patient's columns and its primary therapist's summary."""
    own = [field.attname for field in Patient._meta.concrete_fields]
    return patients.select_related("primary_therapist").only(
        *own, *(f"primary_therapist__{name}" for name in STAFF_FIELDS)
    )


def patient_rows(patients: Sequence[Patient]) -> list[dict[str, Any]]:
    """`patients` (loaded by `patients_for_rows`) as `PatientSerializer` writes them, in their order. One query."""
    # DRF's own field writes the timestamps: its format, and the request's time zone, looked up once.
    stamp = serializers.DateTimeField(default_timezone=timezone.get_current_timezone()).to_representation
    if not patients:
        return []
    teams: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
    # The care team as the serializer's `care_team` lists it: the clinicians' own order (`User.Meta.ordering`).
    members = (
        CareTeamMembership.objects.filter(patient_id__in=[patient.pk for patient in patients])
        .order_by("user__full_name", "user__email")
        .values_list("patient_id", *(f"user__{name}" for name in STAFF_FIELDS))
    )
    for patient_id, *staff in members:
        teams[patient_id].append(_staff(dict(zip(STAFF_FIELDS, staff, strict=True))))
    return [_patient(patient, teams[patient.pk], stamp) for patient in patients]


def _patient(patient: Patient, care_team: list[dict[str, Any]], stamp: Callable[[Any], Any]) -> dict[str, Any]:
    """A patient as `PatientSerializer` writes it, its keys in its order."""
    therapist = patient.primary_therapist
    row: dict[str, Any] = {"id": str(patient.pk), "practice_id": str(patient.practice_id)}
    for name in DEMOGRAPHIC_FIELDS:
        row[name] = getattr(patient, name)
    row["date_of_birth"] = patient.date_of_birth.isoformat()
    row["primary_therapist"] = (
        _staff({name: getattr(therapist, name) for name in STAFF_FIELDS}) if therapist is not None else None
    )
    row["care_team"] = care_team
    row["created_at"] = stamp(patient.created_at)
    row["updated_at"] = stamp(patient.updated_at)
    return row


def _staff(values: dict[str, Any]) -> dict[str, Any]:
    """A clinician as `StaffSummarySerializer` writes them."""
    return {**values, "id": str(values["id"])}
