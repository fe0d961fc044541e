"""The recovery sweep: every report asked for is rendered or `failed` with a reason, whatever the broker lost.

The row is the truth, the broker's message a hint. These tests set a report's `requested_at` / `queued_at`
and tell the sweep how many messages wait in the broker's queue (`_queue_depth`), then check what it sends
again (the `on_commit` callbacks it leaves) and what it fails. Renders stopped in `rendering` are covered in
test_report_render.py; `_queue_depth` itself is checked against a filesystem broker of the test's own.
"""

import datetime
import logging

import pytest
from django.utils import timezone

from accounts.audit import AuditContext
from reviews.models import ProgressReport, ReportStatus
from reviews.services import reports
from reviews.services.reports import (
    _queue_depth,
    never_picked_up_reason,
    report_render,
    report_request,
    reports_requeue_unclaimed,
)
from reviews.tasks.reports import recover_stalled_reports, render_progress_report
from tests.support import broker_at

NOW = timezone.now()


@pytest.fixture
def queue(monkeypatch):
    """`queue.depth = n` is what the broker says waits in the render queue (None: the broker is down)."""

    class Queue:
        depth: int | None = 0

    state = Queue()
    monkeypatch.setattr(reports, "_queue_depth", lambda: state.depth)
    return state


@pytest.fixture
def ask(plan, owner, django_capture_on_commit_callbacks):
    """`ask(requested=minutes ago, queued=minutes ago or None)`: a pending report as the request left it."""

    def make(*, requested: float, queued: float | None) -> ProgressReport:
        with django_capture_on_commit_callbacks():
            report = report_request(by=AuditContext.system("tests", user=owner), plan=plan)
        ProgressReport.objects.filter(pk=report.pk).update(
            requested_at=NOW - datetime.timedelta(minutes=requested),
            queued_at=None if queued is None else NOW - datetime.timedelta(minutes=queued),
        )
        report.refresh_from_db()
        return report

    return make


@pytest.fixture
def sweep(monkeypatch, django_capture_on_commit_callbacks):
    """`sweep(now=...)` runs the sweep and commits; returns its counts and the ids it handed to the broker."""
    sent: list[str] = []

    def publish(*ids: str) -> int:
        sent.extend(ids)
        return len(ids)

    monkeypatch.setattr(reports, "_enqueue", publish)

    def run(now: datetime.datetime = NOW) -> tuple[dict[str, int], list[str]]:
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            counts = reports_requeue_unclaimed(now=now)
        return counts, list(sent)

    return run


# --- sent again ----------------------------------------------------------------------------------


def test_a_report_the_broker_never_took_is_sent_at_the_next_sweep(ask, queue, sweep):
    report = ask(requested=1, queued=None)  # the broker was down when it was asked for, a minute ago

    counts, sent = sweep()

    assert counts == {"requeued": 1, "failed": 0}
    assert sent == [str(report.pk)]
    report.refresh_from_db()
    assert (report.status, report.queued_at) == (ReportStatus.PENDING, NOW)


def test_an_unclaimed_report_is_sent_again_once_not_at_every_sweep(ask, queue, sweep):
    report = ask(requested=10, queued=4)  # accepted 4 minutes ago, past the 3 minutes, and the queue is empty

    first = sweep()
    second = sweep()

    assert first == ({"requeued": 1, "failed": 0}, [str(report.pk)])
    assert second == ({"requeued": 0, "failed": 0}, []), "sent again a moment ago: not again until it is overdue"
    report.refresh_from_db()
    assert report.queued_at == NOW


def test_a_young_report_is_left_to_its_message(ask, queue, sweep):
    ask(requested=2, queued=2)  # accepted 2 minutes ago: a worker may still be on its way to it

    assert sweep() == ({"requeued": 0, "failed": 0}, [])


def test_while_messages_wait_in_the_queue_an_accepted_report_waits_its_turn(ask, queue, sweep):
    """A backlog (the monthly run) is not doubled every few minutes: only a row the broker never took is sent."""
    queue.depth = 40
    waiting = ask(requested=30, queued=30)
    never_taken = ask(requested=5, queued=None)

    counts, sent = sweep()

    assert (counts, sent) == ({"requeued": 1, "failed": 0}, [str(never_taken.pk)])
    waiting.refresh_from_db()
    assert waiting.queued_at == NOW - datetime.timedelta(minutes=30)


def test_with_the_broker_down_nothing_is_sent_and_the_rows_keep_waiting(ask, queue, sweep):
    queue.depth = None
    report = ask(requested=5, queued=None)

    assert sweep() == ({"requeued": 0, "failed": 0}, [])
    report.refresh_from_db()
    assert (report.status, report.queued_at) == (ReportStatus.PENDING, None)


def test_the_oldest_are_sent_first_and_a_sweep_sends_at_most_a_batch(ask, queue, monkeypatch, sweep):
    monkeypatch.setattr(reports, "REQUEUE_BATCH", 2)
    newest, oldest, middle = (
        ask(requested=5, queued=None),
        ask(requested=50, queued=None),
        ask(requested=9, queued=None),
    )

    first = sweep()
    second = sweep()

    assert first == ({"requeued": 2, "failed": 0}, [str(oldest.pk), str(middle.pk)])
    assert second == ({"requeued": 1, "failed": 0}, [str(newest.pk)])


def test_reports_that_are_not_pending_are_left_alone(ask, queue, sweep):
    for status in (ReportStatus.RENDERING, ReportStatus.FAILED):
        report = ask(requested=30 * 60, queued=None)  # older than the 24 hours, never queued: only `pending` counts
        ProgressReport.objects.filter(pk=report.pk).update(status=status)

    assert sweep() == ({"requeued": 0, "failed": 0}, [])
    assert sorted(ProgressReport.objects.values_list("status", flat=True)) == ["failed", "rendering"]


def test_a_report_sent_again_by_the_sweep_is_rendered(
    ask, queue, media_root, celery_eager, django_capture_on_commit_callbacks
):
    report = ask(requested=1, queued=None)

    with django_capture_on_commit_callbacks(execute=True):
        assert reports_requeue_unclaimed(now=NOW) == {"requeued": 1, "failed": 0}

    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.READY, 1)


# --- failed at last ------------------------------------------------------------------------------


def test_a_report_never_picked_up_within_a_day_is_failed_with_the_reason(ask, queue, settings, sweep):
    settings.REPORT_PENDING_MAX_AGE = datetime.timedelta(hours=24)
    lost = ask(requested=24 * 60 + 1, queued=2)
    kept = ask(requested=24 * 60 - 1, queued=None)

    counts, sent = sweep()
    again = sweep()

    assert (counts, sent) == ({"requeued": 1, "failed": 1}, [str(kept.pk)])
    assert again == ({"requeued": 0, "failed": 0}, [])
    lost.refresh_from_db()
    assert lost.status == ReportStatus.FAILED
    assert lost.error == (
        "Never picked up by a worker within 24 hours of the request (the broker or the workers were down); "
        "ask for the report again."
    )
    assert never_picked_up_reason() == lost.error


def test_with_the_broker_down_a_report_too_old_is_still_failed(ask, queue, sweep):
    queue.depth = None
    lost = ask(requested=25 * 60, queued=None)

    assert sweep() == ({"requeued": 0, "failed": 1}, [])
    lost.refresh_from_db()
    assert lost.status == ReportStatus.FAILED


def test_render_again_restarts_the_clock(ask, queue, owner, sweep, django_capture_on_commit_callbacks):
    """An admin's "render again" of a week-old failed report asks anew: the sweep does not fail it at once."""
    from reviews.services.reports import report_retry

    report = ask(requested=7 * 24 * 60, queued=None)
    ProgressReport.objects.filter(pk=report.pk).update(status=ReportStatus.FAILED)
    report.refresh_from_db()
    with django_capture_on_commit_callbacks() as queued:
        report_retry(by=AuditContext.system("tests", user=owner), report=report)
    assert len(queued) == 1

    assert sweep(now=timezone.now()) == ({"requeued": 0, "failed": 0}, [])
    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING
    assert timezone.now() - report.requested_at < datetime.timedelta(minutes=1)


# --- what the broker is told ---------------------------------------------------------------------


def test_a_render_that_failed_and_waits_for_its_retry_counts_its_wait_from_the_failure(
    ask, queue, monkeypatch, media_root, sweep
):
    from reviews.services.reports import ReportRenderError

    report = ask(requested=10, queued=10)

    def broken(html):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(reports, "render_pdf", broken)
    with pytest.raises(ReportRenderError):
        report_render(report.pk, final_attempt=False)

    report.refresh_from_db()
    assert report.status == ReportStatus.PENDING
    assert timezone.now() - report.queued_at < datetime.timedelta(minutes=1), "the task's retry is on its way"
    assert sweep(now=timezone.now()) == ({"requeued": 0, "failed": 0}, [])


def test_a_refused_publish_leaves_the_rows_not_queued_and_says_so_without_phi(ask, dead_broker, caplog):
    first, second = ask(requested=1, queued=1), ask(requested=1, queued=1)

    with caplog.at_level(logging.WARNING, logger="reviews.services.reports"):
        assert reports._enqueue(str(first.pk), str(second.pk)) == 0

    assert list(ProgressReport.objects.filter(pk__in=[first.pk, second.pk]).values_list("queued_at", flat=True)) == [
        None,
        None,
    ]
    (warning,) = [record for record in caplog.records if record.name == "reviews.services.reports"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith("The broker did not take 2 progress report render(s) (OperationalError: ")
    assert "Emily" not in warning.getMessage() and "Carter" not in warning.getMessage()


def test_the_queue_depth_counts_the_messages_waiting(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path), "control_folder": str(tmp_path)}
    with broker_at("filesystem://", options):
        assert _queue_depth() == 0
        render_progress_report.delay("00000000-0000-0000-0000-000000000001")
        render_progress_report.delay("00000000-0000-0000-0000-000000000002")
        assert _queue_depth() == 2


def test_the_queue_depth_of_a_broker_that_is_down_is_unknown(dead_broker):
    assert _queue_depth() is None


def test_the_beat_task_recovers_stalled_and_unclaimed_reports_in_one_run(
    ask, queue, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_RENDER_TIME_LIMIT = 120
    stalled = ask(requested=30, queued=30)
    ProgressReport.objects.filter(pk=stalled.pk).update(
        status=ReportStatus.RENDERING, started_at=timezone.now() - datetime.timedelta(minutes=10), attempts=1
    )
    ask(requested=1, queued=None)

    with django_capture_on_commit_callbacks() as queued:
        assert recover_stalled_reports() == {
            "stalled": {"requeued": 1, "failed": 0},
            "unclaimed": {"requeued": 1, "failed": 0},
            "documents": {"requeued": 0, "failed": 0},
        }
    assert len(queued) == 2
