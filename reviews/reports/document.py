"""What the treatment-plan document shows: a signed version as the client and the payer read it.

Everything clinical comes from the version's snapshot (what was signed), never the live plan: the
diagnoses, the problems, the goals with their SMART fields and interventions. The people and places come
from their records at render time (the practice's name and address, the clinician's credentials and
licence, the client's identifiers), and the signatures from the version's signature rows. The version
number and the SHA-256 the signatures attest run in the margin of every page (`static/css/document.css`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.models import PaperSize
from reviews.models import PlanDocument, PlanSignature, PlanVersion
from reviews.reports.pdf import static_url
from reviews.services.signatures import content_hash
from reviews.snapshots import GOAL_LABELS, display_value, goal_depths
from treatment.models import SignatureStatus, TreatmentPlan
from treatment.models.goal import SMART_TEMPLATE
from treatment.selectors import AmendmentRead, plan_amendments

TEMPLATE = "reviews/report/plan_document.html"


@dataclass(frozen=True)
class DocumentGoal:
    """One goal of the signed version, in reading order, with its SMART fields printed."""

    number: str
    depth: int
    type_label: str
    description: str
    status_label: str
    priority: int | None
    facts: tuple[tuple[str, str], ...]
    smart: tuple[tuple[str, str], ...]
    interventions: tuple[dict, ...]


@dataclass(frozen=True)
class SignatureBlock:
    """A filled signature block: who signed as what, how, when (the practice's clock), and the drawn image."""

    role: str
    role_label: str
    name: str
    method: str
    method_label: str
    signed_at: datetime.datetime
    relationship: str = ""
    license_number: str = ""
    image: str = ""
    reason: str = ""
    intent: str = ""


def _smart_rows(answers: dict | None) -> tuple[tuple[str, str], ...]:
    rows = []
    for part, questions in SMART_TEMPLATE.items():
        given = (answers or {}).get(part) or {}
        for key, question in questions.items():
            if given.get(key):
                rows.append((question, str(given[key])))
    return tuple(rows)


def document_goals(snapshot: dict) -> tuple[DocumentGoal, ...]:
    """The snapshot's goals numbered in tree order ("1", "1.1", "1.1.1"), each with what the document prints."""
    goals = snapshot.get("goals", [])
    depths = goal_depths(goals)
    counters: dict[str | None, int] = {}
    numbers: dict[str, str] = {}
    rows = []
    for goal in goals:
        parent = goal.get("parent_goal_id") if goal.get("parent_goal_id") in numbers else None
        counters[parent] = counters.get(parent, 0) + 1
        number = f"{numbers[parent]}.{counters[parent]}" if parent else str(counters[parent])
        numbers[goal["id"]] = number
        facts = tuple(
            (GOAL_LABELS[name], display_value(name, goal.get(name)))
            for name in ("measurable_criteria", "baseline_value", "target_value", "target_date", "progress_percentage")
        )
        rows.append(
            DocumentGoal(
                number=number,
                depth=min(depths[goal["id"]], 2),
                type_label=display_value("goal_type", goal.get("goal_type")),
                description=goal.get("description", ""),
                status_label=display_value("status", goal.get("status")),
                priority=goal.get("priority"),
                facts=facts,
                smart=_smart_rows(goal.get("smart")),
                interventions=tuple(goal.get("interventions") or ()),
            )
        )
    return tuple(rows)


def signature_blocks(version: PlanVersion) -> tuple[SignatureBlock, ...]:
    """The version's signatures in the order they were given (clinician first), as filled signature blocks."""
    signatures = PlanSignature.objects.filter(version_id=version.pk).order_by("signed_at", "id")
    return tuple(
        SignatureBlock(
            role=s.role,
            role_label=s.get_role_display(),
            name=s.signer_name,
            method=s.method,
            method_label=s.get_method_display(),
            signed_at=s.signed_at,
            relationship=s.relationship,
            license_number=s.signer_license,
            image=s.image_data_url,
            reason=s.reason,
            intent=s.intent_statement,
        )
        for s in signatures
    )


@dataclass(frozen=True)
class PlanAsSigned:
    """The plan in force as its signed version's snapshot has it, with who signed it and what changed since."""

    version: PlanVersion
    title: str
    content_hash: str
    #: When the last signature the version needed was given (the latest of its signatures).
    fully_signed_at: datetime.datetime
    signatures: tuple[SignatureBlock, ...]
    goals: tuple[DocumentGoal, ...]
    diagnoses: tuple[dict, ...]
    presenting_problems: tuple[str, ...]
    #: The plan changed after this version was signed (a newer version is not fully signed yet).
    amended: bool
    #: The amendments made after it was fully signed, oldest first (none unless amended).
    amendments: tuple[AmendmentRead, ...]


def plan_as_signed(plan: TreatmentPlan) -> PlanAsSigned | None:
    """The plan in force (`plan.signed_version`), read from its snapshot; None for a plan never fully signed.

    No query for that; otherwise two (the version, its signatures), and a third for the amendments when the
    plan has changed since (its status is no longer `signed`)."""
    if plan.signed_version is None:
        return None
    version = PlanVersion.objects.get(plan_id=plan.pk, number=plan.signed_version)
    signatures = signature_blocks(version)
    fully_signed_at = max(s.signed_at for s in signatures)
    amended = plan.signature_status != SignatureStatus.SIGNED
    fields = version.snapshot.get("plan", {})
    return PlanAsSigned(
        version=version,
        title=fields.get("title", ""),
        content_hash=content_hash(version.snapshot),
        fully_signed_at=fully_signed_at,
        signatures=signatures,
        goals=document_goals(version.snapshot),
        diagnoses=tuple(fields.get("diagnosis_codes") or ()),
        presenting_problems=tuple(fields.get("presenting_problems") or ()),
        amended=amended,
        amendments=tuple(plan_amendments(plan, after=fully_signed_at)) if amended else (),
    )


def document_html(document: PlanDocument) -> str:
    """The document as HTML for WeasyPrint, times on the practice's clock. Three queries: the document with its
    version, plan, patient, practice and clinician (the render loads them), the signatures, nothing per goal."""
    version = document.version
    plan = version.plan
    practice = plan.patient.practice
    snapshot = version.snapshot
    signatures = signature_blocks(version)
    fields = snapshot.get("plan", {})
    values = {
        "document": document,
        "version": version,
        "snapshot_plan": fields,
        "start_date": parse_date(fields["start_date"]) if fields.get("start_date") else None,
        "target_end_date": parse_date(fields["target_end_date"]) if fields.get("target_end_date") else None,
        "plan": plan,
        "patient": plan.patient,
        "practice": practice,
        "clinician": plan.therapist,
        "content_hash": content_hash(snapshot),
        "goals": document_goals(snapshot),
        "signatures": signatures,
        "diagnoses": fields.get("diagnosis_codes") or [],
        "presenting_problems": fields.get("presenting_problems") or [],
        "stylesheet_url": static_url("css/document.css"),
        "paper_stylesheet_url": static_url(f"css/paper-{document.paper_size}.css"),
        "paper_label": PaperSize(document.paper_size).label,
    }
    with timezone.override(practice.zoneinfo):
        return render_to_string(TEMPLATE, values)


def document_filename(document: PlanDocument) -> str:
    """`treatment-plan-v<n>-<paper>-<short id>.pdf`: no patient name in a file name, ever."""
    return f"treatment-plan-v{document.version.number}-{document.paper_size}-{document.pk.hex[:8]}.pdf"
