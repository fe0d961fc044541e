"""What a progress report shows, loaded in a fixed number of queries however many goals and sessions.

Eight queries: the plan with its patient, practice, therapist and supervisor; the goals; their
interventions; the rated progress of the period (the charts); the patient's standardized scores (charted
over the period, the same SVG as the plan page's); the period's progress entries counted per goal; the
period's sessions with their goal counts; the plan's reviews up to the period's end. With the
session narratives (`ProgressReport.include_narratives`) two more: the sessions' progress entries, and
their addenda with their authors. The "Plan as signed" (`plan_as_signed`): none for a plan never signed,
two for one in force (its version, its signatures), three once amended since (its amendments).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from reviews.models import PlanReview, ProgressReport
from reviews.reports.pdf import static_url
from treatment.charts import progress_chart_svg
from treatment.measure_selectors import patient_scores
from treatment.models import (
    GoalIntervention,
    GoalProgress,
    SessionAddendum,
    TherapySession,
    TreatmentGoal,
    TreatmentPlan,
)
from treatment.score_selectors import ObjectiveMeasure, objective_measure, patient_charts
from treatment.selectors import GoalNode, plan_tree, progress_series

TEMPLATE = "reviews/report/report.html"


@dataclass(frozen=True)
class GoalRow:
    """One goal of the tree, in reading order, with what the report says about it."""

    goal: TreatmentGoal
    depth: int
    number: str
    interventions: tuple[GoalIntervention, ...] = ()
    chart: str = ""
    #: The period's ratings as (day, percent), oldest first.
    points: list[tuple[datetime.date, int]] = field(default_factory=list)
    entries_in_period: int = 0
    #: The instrument driving an objective, with the period's scores charted (None for a rated goal).
    measure: ObjectiveMeasure | None = None

    @property
    def change(self) -> int | None:
        """Percentage points gained (or lost) between the period's first and last rating."""
        if len(self.points) < 2:
            return None
        return self.points[-1][1] - self.points[0][1]


@dataclass(frozen=True)
class SessionNarrative:
    """A session of the period as the report tells it: its notes, each goal's progress note, its addenda."""

    session: TherapySession
    #: (the goal's row, for its number and description; the entry), in the tree's reading order.
    progress: tuple[tuple[GoalRow, GoalProgress], ...]
    addenda: tuple[SessionAddendum, ...]


def _flatten(roots: tuple[GoalNode, ...]) -> list[tuple[GoalNode, int, str]]:
    """The tree in reading order, each goal with its depth and its number ("1.2.1")."""
    rows: list[tuple[GoalNode, int, str]] = []

    def walk(nodes: tuple[GoalNode, ...], depth: int, prefix: str) -> None:
        for position, node in enumerate(nodes, start=1):
            number = f"{prefix}{position}"
            rows.append((node, depth, number))
            walk(node.children, depth + 1, f"{number}.")

    walk(roots, 0, "")
    return rows


def _local_bounds(plan: TreatmentPlan, start: datetime.date, end: datetime.date):
    zone = plan.patient.practice.zoneinfo
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone),
    )


def report_context(report: ProgressReport) -> dict:
    """Everything the report template shows. `report.plan` is reloaded with the people it names."""
    # Imported here: the document module reads the signatures service, which (through the reminders) imports
    # the report services that import this module.
    from reviews.reports.document import plan_as_signed

    plan = TreatmentPlan.objects.select_related("patient__practice", "therapist__supervisor").get(pk=report.plan_id)
    start, end = report.period_start, report.period_end
    tree = plan_tree(plan)
    series = progress_series(plan, start=start, end=end)
    scores = patient_scores(plan.patient_id)
    after, before = _local_bounds(plan, start, end)
    entry_counts = Counter(
        dict(
            GoalProgress.objects.filter(goal__plan_id=plan.pk, recorded_at__gte=after, recorded_at__lt=before)
            .values_list("goal_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    )
    sessions_of_period = (
        TherapySession.objects.filter(plan_id=plan.pk, session_date__gte=start, session_date__lte=end)
        .select_related("therapist")
        .annotate(goal_count=Count("goals_addressed"))
        .order_by("session_date", "created_at")
    )
    if report.include_narratives:
        sessions_of_period = sessions_of_period.prefetch_related(
            Prefetch("progress_entries", queryset=GoalProgress.objects.order_by("recorded_at", "id")),
            Prefetch("addenda", queryset=SessionAddendum.objects.select_related("author").order_by("created_at", "id")),
        )
    sessions = list(sessions_of_period)
    reviews = list(
        PlanReview.objects.filter(plan_id=plan.pk, review_date__lte=end)
        .select_related("reviewer", "cosigned_by")
        .order_by("-review_date", "-created_at")
    )

    goals = []
    for node, depth, number in _flatten(tree.roots):
        goal = node.goal
        points = series.get(goal.pk, [])
        measure = (
            objective_measure(goal, scores, start=start, end=end, label=f"Goal {number} scores", width=480)
            if goal.measure_instrument
            else None
        )
        goals.append(
            GoalRow(
                goal=goal,
                depth=min(depth, 2),
                number=number,
                interventions=node.interventions,
                points=points,
                entries_in_period=entry_counts.get(goal.pk, 0),
                measure=measure,
                # A goal with sub-goals takes its progress from them: their charts tell its story.
                chart=""
                if (node.children and not points) or measure is not None
                else progress_chart_svg(
                    points, start=start, end=end, label=f"Goal {number} progress", width=480, height=140
                ),
            )
        )

    practice = plan.patient.practice
    numbered = {row.goal.pk: (position, row) for position, row in enumerate(goals)}
    narratives = [
        SessionNarrative(
            session=session,
            # In the tree's reading order, as the goals above: 1.1.1 before 1.2.
            progress=tuple(
                (numbered[e.goal_id][1], e)
                for e in sorted(session.progress_entries.all(), key=lambda e: numbered[e.goal_id][0])
            ),
            addenda=tuple(session.addenda.all()),
        )
        for session in (sessions if report.include_narratives else [])
    ]
    return {
        "report": report,
        "plan": plan,
        "patient": plan.patient,
        "practice": practice,
        "therapist": plan.therapist,
        "supervisor": plan.therapist.supervisor,
        "period_start": start,
        "period_end": end,
        "generated_at": timezone.now(),
        "diagnoses": [
            {"code": d.get("code", ""), "description": d.get("description", "")} for d in plan.diagnosis_codes or []
        ],
        "presenting_problems": plan.presenting_problems or [],
        "goals": goals,
        "summary": tree.summary,
        "sessions": sessions,
        "session_minutes": sum(s.duration_minutes for s in sessions),
        "include_narratives": report.include_narratives,
        "narratives": narratives,
        "reviews": reviews,
        "signed": plan_as_signed(plan),
        "score_charts": patient_charts(scores, start=start, end=end, width=480),
        "stylesheet_url": static_url("css/report.css"),
    }


def report_html(report: ProgressReport) -> str:
    """The report as an HTML document, ready for WeasyPrint; times read in the practice's time zone."""
    context = report_context(report)
    with timezone.override(context["practice"].zoneinfo):
        return render_to_string(TEMPLATE, context)


def report_filename(report: ProgressReport) -> str:
    """`progress-report-<period end>-<short id>.pdf`: no patient name in a file name, ever."""
    return f"progress-report-{report.period_end:%Y-%m-%d}-{report.pk.hex[:8]}.pdf"
