"""The plan's Patient and its clinician's Practitioner."""

from __future__ import annotations

from typing import Any

from accounts.models import Patient, User
from treatment.fhir.codes import IDENTIFIER_TYPE, PATIENT_PROFILE, URI_IDENTIFIER, concept


def patient_resource(patient: Patient) -> dict[str, Any]:
    """US Core Patient. Trellis records no administrative gender, so it is `unknown` (what US Core asks for when
    it is not known); the id is the identifier (as a URI), and the practice's own record number, when it has one,
    is an MR identifier in the practice's namespace."""
    identifiers: list[dict[str, Any]] = [{"system": URI_IDENTIFIER, "value": f"urn:uuid:{patient.pk}"}]
    if patient.external_id:
        identifiers.append(
            {
                "type": concept(IDENTIFIER_TYPE, "MR", "Medical record number"),
                "system": f"urn:uuid:{patient.practice_id}",
                "value": patient.external_id,
            }
        )
    names: list[dict[str, Any]] = [
        {"use": "official", "family": patient.last_name, "given": [patient.first_name], "text": patient.full_name}
    ]
    if patient.preferred_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    telecom = [
        {"system": system, "value": value, **({"use": "home"} if system == "phone" else {})}
        for system, value in (("phone", patient.phone), ("email", patient.email))
        if value
    ]
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"profile": [PATIENT_PROFILE]},
        "identifier": identifiers,
        "active": patient.status == Patient.Status.ACTIVE,
        "name": names,
        "gender": "unknown",
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    if patient.address:
        resource["address"] = [{"text": patient.address}]
    return resource


def practitioner_resource(user: User) -> dict[str, Any]:
    """The clinician who wrote the plan, with their credentials (and licence number) as a qualification. Not
    claimed as US Core Practitioner: Trellis holds no NPI, and keeps the name as one text."""
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "identifier": [{"system": URI_IDENTIFIER, "value": f"urn:uuid:{user.pk}"}],
        "active": user.is_active,
        "name": [{"text": user.full_name or user.email}],
        "telecom": [{"system": "email", "value": user.email, "use": "work"}],
    }
    if user.credentials or user.license_number:
        qualification: dict[str, Any] = {"code": {"text": user.credentials or "Licence"}}
        if user.license_number:
            qualification["identifier"] = [{"value": user.license_number}]
        resource["qualification"] = [qualification]
    return resource
