"""One Observation per progress entry of a goal, and one per score on the plan's instruments (LOINC-coded)."""

from __future__ import annotations

from typing import Any

from treatment.fhir.codes import LOINC, OBSERVATION_CATEGORY, SCREENING_PROFILE, concept
from treatment.fhir.read import PlanExport
from treatment.fhir.refs import instant, reference
from treatment.instruments import INSTRUMENTS
from treatment.models import GoalProgress


def progress_observation(entry: GoalProgress, export: PlanExport) -> dict[str, Any]:
    """A progress entry: the rating (1-10) as the value, the recorded value as a component, the note as a note.
    There is no LOINC code for "progress toward a care-plan goal", so the code is text; `focus` is the Goal."""
    plan = export.plan
    by = entry.recorded_by
    performer = (
        reference("Practitioner", by.pk, str(by))
        if by.pk == plan.therapist_id
        else {"display": str(by)}  # a colleague who is not in the Bundle: named, not referenced
    )
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(entry.pk),
        "status": "final",
        "category": [concept(OBSERVATION_CATEGORY, "therapy", "Therapy")],
        "code": {"text": "Progress toward treatment goal"},
        "subject": reference("Patient", plan.patient_id),
        "focus": [reference("Goal", entry.goal_id)],
        "effectiveDateTime": instant(entry.recorded_at),
        "performer": [performer],
        "note": [{"text": entry.progress_note}],
    }
    if entry.rating is not None:
        resource["valueInteger"] = entry.rating
        resource["referenceRange"] = [{"low": {"value": 1}, "high": {"value": 10}, "text": "Rating 1-10"}]
    if entry.progress_value:
        resource["component"] = [{"code": {"text": "Progress value"}, "valueString": entry.progress_value}]
    return resource


def score_observations(export: PlanExport) -> list[dict[str, Any]]:
    """US Core screening and assessment Observations: the instrument's LOINC total-score code (text only for an
    instrument Trellis names no LOINC code for), the total as an integer, the severity band as the interpretation,
    and `focus` the objectives the instrument drives in this plan."""
    plan = export.plan
    resources = []
    for code, scores in export.scores.items():
        spec = INSTRUMENTS[code]
        name = f"{spec.short_name} total score"
        observation_code: dict[str, Any] = {"text": name}
        if spec.loinc_total:
            observation_code = concept(LOINC, spec.loinc_total, name, text=name)
        for score in scores:
            resource: dict[str, Any] = {
                "resourceType": "Observation",
                "id": str(score.measurement_id),
                "meta": {"profile": [SCREENING_PROFILE]},
                "status": "final",
                "category": [concept(OBSERVATION_CATEGORY, "survey", "Survey")],
                "code": observation_code,
                "subject": reference("Patient", plan.patient_id),
                "effectiveDateTime": score.administered_on.isoformat(),
                "valueInteger": score.total_score,
                "referenceRange": [{"low": {"value": spec.min_score}, "high": {"value": spec.max_score}}],
            }
            focus = [reference("Goal", goal_id) for goal_id in export.driven.get(code, ())]
            if focus:
                resource["focus"] = focus
            if score.severity:
                resource["interpretation"] = [{"text": score.severity}]
            if score.safety_flag:
                resource["note"] = [{"text": "This score raised a safety flag (see the patient's record)."}]
            resources.append(resource)
    return resources


def observation_resources(export: PlanExport) -> list[dict[str, Any]]:
    progress = [
        progress_observation(entry, export)
        for node in export.tree.in_tree_order()
        for entry in export.progress.get(node.goal.pk, ())
    ]
    return progress + score_observations(export)
