"""Writing the demo plans: each outline becomes a plan with its goals, interventions and sessions.

Everything is written through `treatment.services`, as the patient's therapist acting through
`manage.py seed_demo`, so the audit trail, the rollup and every rule apply. Deterministic (one
`random.Random` per patient) and idempotent: a patient who already has the plan (by title) is skipped.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import statistics

from accounts.audit import AuditContext
from accounts.models import Patient, User
from interventions.models import Intervention
from treatment import services
from treatment.models import GoalStatus, GoalType, PlanStatus, TreatmentGoal, TreatmentPlan

from .outlines import PLANS, parse_plan

TARGET_WEEKS = {GoalType.LONG_TERM: 26, GoalType.SHORT_TERM: 13, GoalType.OBJECTIVE: 10}
NOTES = {
    "up": (
        "Steady gains; practice done most days.",
        "Used the skill unprompted.",
        "Getting easier; homework reviewed.",
    ),
    "flat": ("Holding steady; barriers to practice reviewed.", "Mixed week; skill used on and off."),
    "down": ("Setback after a stressful week; coping plan reviewed.", "Harder week; practice dropped off."),
}


def _value(goal: dict, p: float) -> str:
    baseline, target, unit = goal["range"]
    value = baseline + (target - baseline) * min(max(p, 0.0), 1.0)
    return f"{value:.0f} {unit}".strip()


def _with_unit(number: float | None, unit: str) -> str:
    return "" if number is None else f"{number:g} {unit}".strip()


def _session_dates(rng: random.Random, today: datetime.date, count: int, days_ago: int) -> list[datetime.date]:
    """Weekly sessions ending `days_ago` before today, with the odd missed week."""
    dates: list[datetime.date] = []
    day = today - datetime.timedelta(days=days_ago)
    while len(dates) < count:
        dates.append(day)
        day -= datetime.timedelta(days=14 if rng.random() < 0.12 else 7)
    return dates[::-1]


def seed_plans(by: AuditContext, staff: dict[str, User], patients: dict[str, Patient]) -> list[TreatmentPlan]:
    """Give each demo patient with an entry in PLANS that plan, unless they already have it (by title).

    Each plan is written by the patient's primary therapist (one of `staff`), through seed_demo.
    Discharged patients are skipped (a plan cannot be started for them). Returns the plans created.
    """
    created = []
    for mrn, outline in PLANS.items():
        patient = patients.get(mrn)
        spec, goals = parse_plan(outline)
        if patient is None or patient.status == Patient.Status.DISCHARGED:
            continue
        if TreatmentPlan.objects.filter(patient=patient, title=spec["title"]).exists():
            continue
        therapist = patient.primary_therapist
        rng = random.Random(mrn)  # noqa: S311 - demo data, not secrets
        created.append(_seed_plan(dataclasses.replace(by, user=therapist), patient, spec, goals, rng))
    return created


def _seed_plan(by: AuditContext, patient: Patient, spec: dict, goals: list[dict], rng: random.Random) -> TreatmentPlan:
    today = patient.practice.today()
    dates = _session_dates(rng, today, spec["sessions"], spec["last"])
    start = dates[0]
    plan = services.plan_create(
        by=by,
        patient=patient,
        title=spec["title"],
        start_date=start,
        diagnosis_codes=spec["dx"],
        presenting_problems=spec["problems"],
        target_end_date=start + datetime.timedelta(weeks=26),
        review_frequency_days=90,
        next_review_date=today + datetime.timedelta(days=spec["review"]),
        notes=spec["notes"],
    )
    rows: list[TreatmentGoal] = []
    links: dict = {}
    for position, goal in enumerate(goals):
        baseline, target, unit = goal["range"] or (None, None, "")
        row = services.goal_add(
            by=by,
            plan=plan,
            goal_type=goal["type"],
            parent_goal=None if goal["parent"] is None else rows[goal["parent"]],
            description=goal["text"],
            measurable_criteria=goal["criteria"],
            baseline_value=_with_unit(baseline, unit),
            target_value=_with_unit(target, unit),
            target_date=start + datetime.timedelta(weeks=TARGET_WEEKS[goal["type"]]),
            priority=1 + sum(g["parent"] == goal["parent"] for g in goals[:position]),
            smart=goal["smart"],
            interventions=[
                {"intervention": Intervention.objects.get(name=name, is_system=True), "frequency": frequency}
                for name, frequency, _ in goal["uses"]
            ],
        )
        rows.append(row)
        links[row.pk] = {link.intervention.name: link for link in row.goal_interventions.select_related("intervention")}
    _record_sessions(by, patient, plan, goals, rows, links, dates, rng)
    # After the sessions: how well each intervention worked, and which goals were met or dropped.
    for goal, row in reversed(list(zip(goals, rows, strict=True))):
        for name, _, rating in goal["uses"]:
            if rating:
                services.goal_intervention_update(by=by, link=links[row.pk][name], effectiveness_rating=int(rating))
        if goal["end"]:
            services.goal_update(by=by, goal=row, status=goal["end"])
    for key, status in (("hold", PlanStatus.ON_HOLD), ("completed", PlanStatus.COMPLETED)):
        if key in spec:  # closed after its last session
            notes = f"{spec['notes']} {spec[key]}"
            if status == PlanStatus.COMPLETED:
                plan = services.plan_update(
                    by=by, plan=plan, status=status, status_reason=spec[key], notes=notes, actual_end_date=dates[-1]
                )
            else:
                plan = services.plan_update(by=by, plan=plan, status=status, notes=notes)
    plan.refresh_from_db()
    return plan


def _record_sessions(by, patient, plan, goals, rows, links, dates, rng) -> None:
    """One session a week; each works on up to three objectives and records their progress.

    An objective's rating climbs towards its `progress` along a gentle curve, with noise and the odd
    setback; long-term goals with a measure (PHQ-9, GAD-7...) are re-measured every fourth session.
    """
    objectives = [i for i, g in enumerate(goals) if g["type"] == GoalType.OBJECTIVE]
    achieved = [i for i in objectives if goals[i]["end"] == GoalStatus.ACHIEVED]
    reach = {  # how far a measured long-term goal gets: as far as its objectives, on average
        i: statistics.fmean(goals[o]["progress"] for o in objectives if goals[goals[o]["parent"]]["parent"] == i)
        for i, g in enumerate(goals)
        if g["type"] == GoalType.LONG_TERM and g["range"]
    }
    last_rating: dict[int, int] = {}
    for number, day in enumerate(dates):
        share = number / max(len(dates) - 1, 1)
        open_ = [i for i in objectives if not (goals[i]["end"] == GoalStatus.DISCONTINUED and share > 0.6)]
        width = min(3, len(open_))
        worked = [open_[(number * width + k) % len(open_)] for k in range(width)]
        if number == 0:  # the intake takes every baseline
            worked = open_
        elif number == len(dates) - 1:  # the last session confirms the goals met
            worked = sorted({*worked, *achieved})
        progress, delivered = [], []
        for i in worked:
            goal = goals[i]
            p = goal["progress"] * share**0.85 + rng.uniform(-0.08, 0.08) - (0.15 if rng.random() < 0.1 else 0)
            if i in achieved and number == len(dates) - 1:
                p = 1.0
            rating = min(10, max(1, round(2 + 8 * p)))
            previous = last_rating.get(i, rating)
            last_rating[i] = rating
            trend = "up" if rating > previous else "down" if rating < previous else "flat"
            value = _value(goal, p) if goal["range"] else ""
            note = "Baseline at intake." if number == 0 else rng.choice(NOTES[trend])
            progress.append(
                {"goal": rows[i], "progress_note": f"{value}: {note}" if value else note, "progress_value": value}
                | {"rating": rating}
            )
            delivered += [{"intervention": link.intervention, "goal": rows[i]} for link in links[rows[i].pk].values()]
        if number % 4 == 0 or number == len(dates) - 1:
            for i, target in reach.items():
                value = _value(goals[i], target * share**0.85 + rng.uniform(-0.05, 0.05))
                note = f"Re-measured ({goals[i]['criteria']}): {value}."
                progress.append({"goal": rows[i], "progress_note": note, "progress_value": value})
        focus = ", ".join(sorted({d["intervention"].name for d in delivered}))
        services.session_record(
            by=by,
            patient=patient,
            plan=plan,
            session_date=day,
            duration_minutes=60 if number == 0 else rng.choice([45, 50, 53, 53]),
            goals=[rows[i] for i in worked],
            interventions=delivered,
            progress=progress,
            notes="Intake and assessment; goals agreed with the patient."
            if number == 0
            else f"Weekly session. Focus: {focus}. Homework set.",
        )
