"""The plan as a US Core CarePlan: its status, period, diagnoses, long-term goals, interventions and narrative."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape

from treatment.fhir.codes import (
    ACTIVITY_STATUS_OF_GOAL,
    ACTIVITY_STATUS_OF_PLAN,
    CAREPLAN_CATEGORY,
    CAREPLAN_PROFILE,
    CAREPLAN_STATUS,
    SIGNED_VERSION_EXTENSION,
    URI_IDENTIFIER,
    XHTML,
    concept,
)
from treatment.fhir.refs import condition_id, instant, reference
from treatment.fhir.signing import SignedVersion
from treatment.models import GoalIntervention, GoalStatus, PlanStatus, TreatmentPlan
from treatment.selectors import GoalNode, PlanTree


def _activity_status(plan: TreatmentPlan, node: GoalNode) -> str:
    if plan.status in ACTIVITY_STATUS_OF_PLAN:
        return ACTIVITY_STATUS_OF_PLAN[PlanStatus(plan.status)]
    return ACTIVITY_STATUS_OF_GOAL[GoalStatus(node.goal.status)]


def _activity(plan: TreatmentPlan, node: GoalNode, link: GoalIntervention) -> dict[str, Any]:
    intervention = link.intervention
    about = [f"Modality: {intervention.get_modality_display()}.", f"Category: {intervention.get_category_display()}."]
    if intervention.evidence_level:
        about.append(f"Evidence: {intervention.get_evidence_level_display()}.")
    about.append(link.notes or intervention.description)
    detail: dict[str, Any] = {
        "code": {"text": intervention.name},
        "goal": [reference("Goal", node.goal.pk)],
        "status": _activity_status(plan, node),
        "performer": [reference("Practitioner", plan.therapist_id)],
        "description": " ".join(part for part in about if part),
    }
    if link.frequency:
        detail["scheduledString"] = link.frequency
    activity: dict[str, Any] = {"detail": detail}
    if link.effectiveness_rating is not None:
        activity["progress"] = [{"text": f"Effectiveness rated {link.effectiveness_rating} of 5."}]
    return activity


def _goal_items(nodes: tuple[GoalNode, ...]) -> str:
    items = []
    for node in nodes:
        goal = node.goal
        nested = f"<ul>{_goal_items(node.children)}</ul>" if node.children else ""
        label = (
            f"{escape(goal.get_goal_type_display())}: {escape(goal.description)} ({escape(goal.get_status_display())}"
        )
        items.append(f"<li>{label}, {goal.progress_percentage}%){nested}</li>")
    return "".join(items)


def narrative(plan: TreatmentPlan, tree: PlanTree) -> str:
    """The plan in words (an XHTML div, every value escaped): title, status, dates, diagnoses, the goal tree."""
    end = plan.actual_end_date or plan.target_end_date
    parts = [
        f'<div xmlns="{XHTML}">',
        f"<p><b>{escape(plan.title)}</b></p>",
        f"<p>Status: {escape(plan.get_status_display())}. From {plan.start_date.isoformat()}"
        + (f" to {end.isoformat()}" if end else "")
        + f". Clinician: {escape(str(plan.therapist))}.</p>",
    ]
    if plan.diagnosis_codes:
        diagnoses = "".join(
            f"<li>{escape(str(d.get('code', '')))} {escape(str(d.get('description', '')))}</li>"
            for d in plan.diagnosis_codes
        )
        parts.append(f"<p>Diagnoses:</p><ul>{diagnoses}</ul>")
    if plan.presenting_problems:
        parts.append(f"<p>Presenting problems: {escape('; '.join(str(p) for p in plan.presenting_problems))}.</p>")
    if tree.roots:
        parts.append(f"<p>Goals:</p><ul>{_goal_items(tree.roots)}</ul>")
    parts.append("</div>")
    return "".join(parts)


def _signed_extension(plan: TreatmentPlan, signed: SignedVersion | None) -> list[dict[str, Any]]:
    """The version in force, its signatures' SHA-256 and when it was fully signed, with where the live plan stands
    (`signed`, or `amended_unsigned` when it has changed since)."""
    if plan.signed_version is None:
        return []
    parts: list[dict[str, Any]] = [
        {"url": "version", "valueInteger": plan.signed_version},
        {"url": "status", "valueCode": plan.signature_status},
    ]
    if signed is not None:
        parts.append({"url": "sha256", "valueString": signed.content_hash})
        parts.append({"url": "signedAt", "valueDateTime": instant(signed.signed_at)})
    return [{"url": SIGNED_VERSION_EXTENSION, "extension": parts}]


def careplan_resource(plan: TreatmentPlan, tree: PlanTree, signed: SignedVersion | None) -> dict[str, Any]:
    """The same CarePlan in a plan's Bundle, in a search and read on its own (the plan, therapist and patient
    loaded with it; `tree` its `plan_tree`)."""
    period: dict[str, str] = {"start": plan.start_date.isoformat()}
    end = plan.actual_end_date or plan.target_end_date
    if end is not None:
        period["end"] = end.isoformat()
    notes = [plan.notes] if plan.notes else []
    if plan.status_reason:
        notes.append(f"{plan.get_status_display()}: {plan.status_reason}")
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "meta": {"profile": [CAREPLAN_PROFILE], "lastUpdated": instant(plan.updated_at)},
        "text": {"status": "generated", "div": narrative(plan, tree)},
        "identifier": [{"system": URI_IDENTIFIER, "value": f"urn:uuid:{plan.pk}"}],
        "status": CAREPLAN_STATUS[PlanStatus(plan.status)],
        "intent": "plan",
        "category": [concept(CAREPLAN_CATEGORY, "assess-plan", "Assessment and Plan of Treatment")],
        "title": plan.title,
        "subject": reference("Patient", plan.patient_id),
        "period": period,
        "created": instant(plan.created_at),
        "author": reference("Practitioner", plan.therapist_id),
        "contributor": [reference("Practitioner", plan.therapist_id)],
    }
    extension = _signed_extension(plan, signed)
    if extension:
        resource["extension"] = extension
    if plan.presenting_problems:
        resource["description"] = "Presenting problems: " + "; ".join(str(p) for p in plan.presenting_problems)
    codes = list(dict.fromkeys(str(d.get("code", "")).upper() for d in plan.diagnosis_codes or ()))
    if codes:
        resource["addresses"] = [reference("Condition", condition_id(plan.pk, code)) for code in codes]
    if tree.roots:
        resource["goal"] = [reference("Goal", root.goal.pk) for root in tree.roots]
    activities = [_activity(plan, node, link) for node in tree.in_tree_order() for link in node.interventions]
    if activities:
        resource["activity"] = activities
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource
