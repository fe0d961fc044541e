"""Shared fixtures of the reviews tests: a plan with a goal tree, and Celery (eager, or a real worker).

How the reviews tests run tasks (one way, everywhere):
- A test that only needs a task's effect calls the service the task calls (`report_render(...)`).
- A test that goes through the enqueue path uses `celery_eager` and wraps the request in
  `django_capture_on_commit_callbacks(execute=True)`: the on_commit callback calls `.delay()`, which
  runs the task in-process (retries included).
- `celery_worker` (tests/conftest.py) starts a real worker on the real Redis broker; such tests must be
  `django_db(transaction=True)` so the worker's thread sees committed rows.
"""

import pytest

from tests.factories import GoalFactory, intervention
from tests.support import skip_or_fail


@pytest.fixture
def celery_eager():
    """Tasks enqueued with `.delay()` run in-process, at once, with their retries."""
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def pdf_text():
    """`pdf_text(path_or_bytes)`: the PDF's text as poppler's pdftotext reads it, whitespace collapsed."""
    import shutil
    import subprocess
    import tempfile

    if shutil.which("pdftotext") is None:
        skip_or_fail("pdftotext (poppler-utils) is not installed")

    def read(pdf) -> str:
        if isinstance(pdf, bytes):
            with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
                handle.write(pdf)
                handle.flush()
                return read(handle.name)
        result = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True)
        return " ".join(result.stdout.split())

    return read


@pytest.fixture
def media_root(settings, tmp_path):
    """Rendered PDFs go to a temporary MEDIA_ROOT, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def report_plan(plan, owner, supervisor):
    """A plan with a three-level tree, rated progress in the last month, two sessions and a review.

    Progress: "Learn relaxation" 40%, "Sleep" 50%, so "Reduce anxiety" (their parent) 45%.
    """
    import datetime

    from accounts.audit import AuditContext
    from reviews.models import PlanReview
    from treatment.services import goal_intervention_update, session_record

    by = AuditContext.system("tests", user=owner)
    today = plan.patient.practice.today()
    anxiety = GoalFactory(
        plan=plan,
        description="Reduce overall anxiety levels to a manageable state",
        baseline_value="GAD-7 16",
        target_value="GAD-7 below 5",
    )
    relax = GoalFactory(
        parent_goal=anxiety,
        goal_type="short_term",
        description="Learn and practice 3 relaxation techniques",
        interventions=[{"intervention": intervention("Deep Breathing"), "frequency": "every session"}],
    )
    sleep = GoalFactory(parent_goal=anxiety, goal_type="short_term", description="Sleep seven hours on most nights")
    breathing = GoalFactory(
        parent_goal=relax, goal_type="objective", description="Practice deep breathing for ten minutes daily"
    )
    goal_intervention_update(by=by, link=relax.goal_interventions.get(), effectiveness_rating=4)
    session_record(
        by=by,
        patient=plan.patient,
        plan=plan,
        session_date=today - datetime.timedelta(days=20),
        duration_minutes=50,
        goals=[relax, sleep],
        progress=[
            {"goal": breathing, "progress_note": "Practised twice this week", "rating": 3},
            {"goal": sleep, "progress_note": "Six hours most nights", "rating": 5},
        ],
    )
    session_record(
        by=by,
        patient=plan.patient,
        plan=plan,
        session_date=today - datetime.timedelta(days=6),
        duration_minutes=45,
        goals=[relax],
        progress=[{"goal": breathing, "progress_note": "Daily practice most days", "rating": 4}],
    )
    PlanReview.objects.create(
        plan=plan,
        review_date=today - datetime.timedelta(days=2),
        reviewer=owner,
        summary="Engaged and practising; sleep is improving.",
        goals_reviewed=4,
        goals_on_track=3,
        next_review_date=today + datetime.timedelta(days=88),
        version=1,
    )
    plan.refresh_from_db()
    return {"plan": plan, "anxiety": anxiety, "relax": relax, "sleep": sleep, "breathing": breathing}


@pytest.fixture
def no_unsigned_plan_pass(monkeypatch):
    """For the review reminders' tests, whose plans are never signed: the sweep's unsigned-plan pass
    (tests/reviews/test_signature_reminders.py) would remind of them too, so it finds no plan there."""
    monkeypatch.setattr("reviews.services.signature_reminders._candidates", lambda today, **kwargs: iter(()))
