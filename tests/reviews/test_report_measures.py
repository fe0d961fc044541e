"""The progress report charts the standardized scores with the SVG the plan page shows, in the PDF itself."""

import datetime

import pytest

from accounts.audit import AuditContext
from reviews.models import ProgressReport
from reviews.reports import report_context, report_html
from reviews.services.reports import report_render, report_request
from treatment.services import goal_update
from treatment.services.measures import measurement_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(plan, tree, owner, patient):
    by = AuditContext.system("tests", user=owner)
    objective = goal_update(by=by, goal=tree["objective"], measure_instrument="phq9", measure_target_score=5)
    today = patient.practice.today()
    for days, answers in ((20, [2] * 9), (10, [1, 1, 1, 1, 1, 1, 1, 1, 0]), (2, [1, 1, 1, 0, 0, 0, 0, 0, 0])):
        measurement_record(
            by=by, patient=patient, instrument="phq9", answers=answers, administered_on=today - datetime.timedelta(days)
        )
    objective.refresh_from_db()
    report = report_request(by=by, plan=plan)
    return {"objective": objective, "report": ProgressReport.objects.get(pk=report.pk)}


def test_the_report_html_carries_the_objective_chart_and_the_instrument_table(scored):
    html = report_html(scored["report"])

    # The objective's chart with its target, and the instrument's chart: the same SVG path as the plan page.
    # Two charts: the objective's (its ratings chart gives way to it) and the instrument's; the goals above it roll up.
    assert html.count("<svg") == 2
    assert (
        "Driven by the PHQ-9:</strong> baseline 18, target 5, current 3 · Response, Remission, Reliable improvement"
        in html
    )
    assert "3 PHQ-9 scores in this period: 18 on" in html
    assert ">Target 5</text>" in html and ">Moderately severe 15–19</text>" in html  # noqa: RUF001
    assert "Patient Health Questionnaire (PHQ-9)" in html


def test_the_objective_chart_replaces_its_ratings_chart(scored):
    context = report_context(scored["report"])
    row = next(r for r in context["goals"] if r.goal.pk == scored["objective"].pk)
    assert row.chart == "" and row.measure is not None
    assert [r.score for r in row.measure.chart.rows] == [18, 8, 3]
    assert [chart.instrument.code for chart in context["score_charts"]] == ["phq9"]


def test_the_pdf_shows_the_scores(scored, media_root, pdf_text):
    text = pdf_text(report_render(scored["report"].pk).file.path)

    assert "Standardized measures" in text
    assert "Patient Health Questionnaire (PHQ-9)" in text
    assert "Driven by the PHQ-9: baseline 18, target 5, current 3" in text
    assert "Moderately severe" in text  # the band's name, drawn in the chart and in the table
