"""The code systems, profiles and status maps of the FHIR export, in one place (the README's table follows it)."""

from __future__ import annotations

from treatment.models import GoalStatus, PlanStatus

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
GOAL_CATEGORY = "http://terminology.hl7.org/CodeSystem/goal-category"
GOAL_PRIORITY = "http://terminology.hl7.org/CodeSystem/goal-priority"
GOAL_RELATIONSHIP = "http://hl7.org/fhir/StructureDefinition/goal-relationship"
GOAL_RELATIONSHIP_TYPE = "http://terminology.hl7.org/CodeSystem/goal-relationship-type"
PCO_CATEGORY = "http://hl7.org/fhir/us/pco/CodeSystem/pco-concepts-temporary"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
#: A UUID as an identifier value (`urn:uuid:...`): how FHIR names an identifier that is a URI.
URI_IDENTIFIER = "urn:ietf:rfc:3986"
#: Trellis's own extension on the CarePlan: the signed version in force and the SHA-256 its signatures carry. A URN,
#: so it names no host of a deployment.
SIGNED_VERSION_EXTENSION = "urn:trellis:fhir:StructureDefinition:signed-version"
XHTML = "http://www.w3.org/1999/xhtml"

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
PATIENT_PROFILE = US_CORE + "us-core-patient"
CONDITION_PROFILE = US_CORE + "us-core-condition-problems-health-concerns"
CAREPLAN_PROFILE = US_CORE + "us-core-careplan"
GOAL_PROFILE = US_CORE + "us-core-goal"
SCREENING_PROFILE = US_CORE + "us-core-observation-screening-assessment"
PROM_GOAL_PROFILE = "http://hl7.org/fhir/us/pco/StructureDefinition/pco-prom-goal-profile"

#: Where the plan stands -> CarePlan.status (request-status). A discontinued plan was stopped before it was
#: carried out: `revoked` ("terminated prior to the known full completion").
CAREPLAN_STATUS = {
    PlanStatus.ACTIVE: "active",
    PlanStatus.ON_HOLD: "on-hold",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.DISCONTINUED: "revoked",
}

#: The goal's status -> Goal.lifecycleStatus. A `modified` goal is still pursued, with its terms revised.
GOAL_LIFECYCLE = {
    GoalStatus.NOT_STARTED: "planned",
    GoalStatus.IN_PROGRESS: "active",
    GoalStatus.ACHIEVED: "completed",
    GoalStatus.MODIFIED: "active",
    GoalStatus.DISCONTINUED: "cancelled",
}


def goal_priority(priority: int) -> str:
    """Goal.priority from the goal's priority (1 is the highest; 2-3 medium; 4-10 low)."""
    if priority == 1:
        return "high-priority"
    return "medium-priority" if priority <= 3 else "low-priority"


#: The plan's status -> CarePlan.activity.detail.status, when it overrides the goal's (a plan not carried on).
ACTIVITY_STATUS_OF_PLAN = {
    PlanStatus.ON_HOLD: "on-hold",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.DISCONTINUED: "stopped",
}
#: The served goal's status -> CarePlan.activity.detail.status on an open plan.
ACTIVITY_STATUS_OF_GOAL = {
    GoalStatus.NOT_STARTED: "not-started",
    GoalStatus.IN_PROGRESS: "in-progress",
    GoalStatus.ACHIEVED: "completed",
    GoalStatus.MODIFIED: "in-progress",
    GoalStatus.DISCONTINUED: "stopped",
}


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, object]:
    return {"coding": [coding(system, code, display)], **({"text": text} if text else {})}
