"""A broker outage delays a report, never loses it, and never turns the request into a 500.

Asked for through the API, the page, the monthly run or the admin's "render again" while the broker is
down (`dead_broker`: nothing listens on port 1), the report is committed `pending` with no message
(`queued_at` empty) and the caller gets its usual answer at once. The last test stops a Redis of its own
under a real worker, asks for a report, starts Redis again and sees the worker render it once the
recovery sweep (what beat runs every 2 minutes) has sent it.
"""

import datetime
import time

import pytest

from accounts.audit import AuditContext
from reviews.models import ProgressReport, ReportStatus
from reviews.services.reports import monthly_reports_request, report_request
from reviews.tasks.reports import recover_stalled_reports
from tests.support import REDIS_TIMEOUTS, PrivateRedis, free_port, real_worker, wait_for

HTMX = {"HTTP_HX_REQUEST": "true"}
#: A request with the broker down answers well within this (a refused connection fails at once).
PROMPT = 3.0


def _pending_without_message(report: ProgressReport) -> None:
    report.refresh_from_db()
    assert (report.status, report.queued_at, report.attempts) == (ReportStatus.PENDING, None, 0)


def test_the_api_answers_202_with_the_broker_down(api, owner, plan, dead_broker, django_capture_on_commit_callbacks):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = api.as_(owner).post(f"/api/v1/treatment-plans/{plan.pk}/progress-reports", {}, format="json")
    elapsed = time.monotonic() - started

    assert response.status_code == 202
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "pending"
    assert len(queued) == 1, "the enqueue ran, and failed quietly"
    assert elapsed < PROMPT, f"the request waited {elapsed:.1f} s on the dead broker"
    _pending_without_message(ProgressReport.objects.get(pk=response.json()["id"]))


def test_the_page_answers_as_usual_with_the_broker_down(
    client, owner, plan, dead_broker, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/plans/{plan.pk}/reports/", {"period_start": "2026-10-01", "period_end": "2026-10-31"}, follow=True
        )

    assert response.redirect_chain == [(f"/plans/{plan.pk}/#plan-reports", 302)]
    assert "The PDF report for 1 Oct 2026 to 31 Oct 2026 is being prepared" in response.content.decode()
    _pending_without_message(ProgressReport.objects.get())


def test_the_htmx_request_answers_201_with_the_broker_down(
    client, owner, plan, dead_broker, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/plans/{plan.pk}/reports/", {}, **HTMX)

    assert response.status_code == 201
    report = ProgressReport.objects.get()
    assert f'id="report-{report.pk}"' in response.content.decode()
    _pending_without_message(report)


def test_the_monthly_run_asks_for_every_report_with_the_broker_down(
    plan, dead_broker, django_capture_on_commit_callbacks
):
    plan.start_date = datetime.date(2026, 9, 15)
    plan.save(update_fields=["start_date"])
    by = AuditContext.system("tests")

    with django_capture_on_commit_callbacks(execute=True):
        assert monthly_reports_request(by=by, today=datetime.date(2026, 11, 1)) == {
            "created": 1,
            "existing": 0,
            "skipped": 0,
        }

    _pending_without_message(ProgressReport.objects.get(plan=plan))


def test_render_again_in_the_admin_works_with_the_broker_down(
    client, practice_admin, owner, plan, dead_broker, django_capture_on_commit_callbacks
):
    report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
    ProgressReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED, error="OSError: disk full")
    client.force_login(practice_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/reviews/progressreport/",
            {"action": "render_again", "_selected_action": [str(report.pk)]},
            follow=True,
        )

    assert response.status_code == 200
    assert "1 report(s) sent back to the worker; 0 ready report(s) left as they are." in response.content.decode()
    _pending_without_message(report)


# --- through a real worker ---------------------------------------------------------------------------


def _worker_answers(app) -> bool:
    """The worker is consuming from the broker again: it answers a broadcast ping."""
    try:
        return bool(app.control.ping(timeout=0.5))
    except Exception:  # the broker is still coming up
        return False


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_report_asked_for_while_the_broker_is_down_is_rendered_once_it_is_back(plan, owner, media_root):
    broker = PrivateRedis(free_port())
    broker.start()
    try:
        with real_worker(broker.url, REDIS_TIMEOUTS) as worker:
            assert wait_for(lambda: _worker_answers(worker.app), 30), "the worker never came up"

            broker.stop()
            started = time.monotonic()
            report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
            elapsed = time.monotonic() - started
            assert elapsed < PROMPT, f"the request waited {elapsed:.1f} s on the dead broker"
            _pending_without_message(report)

            # While the broker is down the sweep sends nothing: the report keeps waiting.
            assert recover_stalled_reports() == {
                "stalled": {"requeued": 0, "failed": 0},
                "unclaimed": {"requeued": 0, "failed": 0},
                "documents": {"requeued": 0, "failed": 0},
            }
            _pending_without_message(report)

            broker.start()  # on the same port, and empty, as a broker restarted without its data
            assert wait_for(lambda: _worker_answers(worker.app), 60), "the worker did not reconnect to the broker"
            # What beat runs every 2 minutes: nobody asks again, nobody presses anything.
            assert recover_stalled_reports() == {
                "stalled": {"requeued": 0, "failed": 0},
                "unclaimed": {"requeued": 1, "failed": 0},
                "documents": {"requeued": 0, "failed": 0},
            }

            assert wait_for(lambda: ProgressReport.objects.get(pk=report.pk).status == ReportStatus.READY, 60), (
                f"the worker did not render the report: {ProgressReport.objects.filter(pk=report.pk).values().first()}"
            )
    finally:
        broker.stop()

    report.refresh_from_db()
    assert report.attempts == 1
    assert report.file and report.completed_at is not None
