"""One Condition per diagnosis of the plan (its `diagnosis_codes`, ICD-10-CM)."""

from __future__ import annotations

from typing import Any

from treatment.fhir.codes import (
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_PROFILE,
    CONDITION_VERIFICATION,
    ICD10CM,
    concept,
)
from treatment.fhir.refs import condition_id, reference
from treatment.models import TreatmentPlan


def condition_resources(plan: TreatmentPlan) -> list[dict[str, Any]]:
    """US Core Condition (problems and health concerns), category `problem-list-item`: the plan's diagnoses are the
    problems it treats, not one encounter's. Active while the plan is open, inactive once it is closed (the plan's
    end does not say the condition resolved)."""
    clinical = "inactive" if plan.is_closed else "active"
    resources = []
    seen: set[str] = set()
    for diagnosis in plan.diagnosis_codes or ():
        code = str(diagnosis.get("code", "")).upper()
        if code in seen:
            continue
        seen.add(code)
        description = str(diagnosis.get("description", ""))
        resources.append(
            {
                "resourceType": "Condition",
                "id": str(condition_id(plan.pk, code)),
                "meta": {"profile": [CONDITION_PROFILE]},
                "clinicalStatus": concept(CONDITION_CLINICAL, clinical),
                "verificationStatus": concept(CONDITION_VERIFICATION, "confirmed"),
                "category": [concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
                "code": concept(ICD10CM, code, description, text=description or code),
                "subject": reference("Patient", plan.patient_id),
            }
        )
    return resources
