"""A real Celery worker on the real Redis broker renders a report asked for through the service."""

import datetime
import time
from pathlib import Path

import pytest

from accounts.audit import AuditContext
from reviews.models import ProgressReport, ReportStatus
from reviews.services.reports import report_request
from tests.factories import GoalFactory
from tests.support import wait_for
from treatment.services import session_record

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker_plan(plan, owner):
    """A plan with two goals and a rated session. Nothing from the data migrations (the intervention
    library): an earlier transactional test may have flushed what they loaded."""
    goal = GoalFactory(plan=plan, description="Reduce overall anxiety levels to a manageable state")
    objective = GoalFactory(
        parent_goal=GoalFactory(parent_goal=goal, goal_type="short_term", description="Sleep seven hours a night"),
        goal_type="objective",
        description="Keep a sleep diary every morning",
    )
    session_record(
        by=AuditContext.system("tests", user=owner),
        patient=plan.patient,
        plan=plan,
        session_date=plan.patient.practice.today() - datetime.timedelta(days=3),
        duration_minutes=50,
        progress=[{"goal": objective, "progress_note": "Diary kept on five mornings", "rating": 6}],
    )
    return {"plan": plan, "objective": objective}


def test_the_worker_renders_a_requested_report_from_the_broker(celery_worker, worker_plan, owner, media_root, pdf_text):
    plan = worker_plan["plan"]
    started = time.monotonic()
    # No capture of on_commit here: the service's transaction commits, its callback enqueues on Redis.
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)

    assert wait_for(lambda: ProgressReport.objects.get(pk=report.pk).status == ReportStatus.READY), (
        f"the worker did not render the report: {ProgressReport.objects.filter(pk=report.pk).values().first()}"
    )
    elapsed = time.monotonic() - started
    report.refresh_from_db()
    path = Path(report.file.path)
    assert path.is_file() and path.is_relative_to(media_root)
    assert report.attempts == 1 and report.completed_at is not None
    text = pdf_text(path)
    assert plan.title in text
    assert worker_plan["objective"].description in text
    assert "Progress 60%" in text
    print(f"request to ready through Redis and the worker: {elapsed:.1f} s")


def test_a_message_for_a_report_that_is_gone_is_consumed_quietly(celery_worker, plan, owner):
    from reviews.tasks.reports import render_progress_report

    render_progress_report.delay("00000000-0000-0000-0000-000000000000")
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
    # Messages are consumed in order by the one solo worker: the second renders after the first exits.
    assert wait_for(lambda: ProgressReport.objects.get(pk=report.pk).status == ReportStatus.READY)
