"""The monthly report run in batches (issue 16): plans are asked for `MONTHLY_BATCH` at a time, each batch's reports
in one transaction, and its renders handed to the broker together after that commit, a bounded number per batch.
"""

import datetime

import pytest

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import ProgressReport, ReportStatus
from reviews.services import reports
from reviews.services.reports import monthly_reports_request
from tests.factories import PatientFactory, PlanFactory

pytestmark = pytest.mark.django_db

BY = AuditContext.system("tests")
FIRST = datetime.date(2026, 11, 1)


def test_the_monthly_run_queues_its_renders_a_batch_at_a_time(
    practice, owner, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(reports, "MONTHLY_BATCH", 2)
    sent: list[tuple[str, ...]] = []
    monkeypatch.setattr(reports, "_enqueue", lambda *ids: sent.append(ids) or len(ids))
    patient = PatientFactory(practice=practice, primary_therapist=owner)
    plans = [PlanFactory(patient=patient, start_date=datetime.date(2026, 9, 15)) for _ in range(5)]
    PlanFactory(patient=patient, start_date=datetime.date(2026, 11, 1))  # started after October: nothing to report

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = monthly_reports_request(by=BY, today=FIRST)
    assert sent == []  # nothing reaches the broker before its batch commits
    for callback in callbacks:
        callback()

    assert counts == {"created": 5, "existing": 0, "skipped": 1}
    assert len(callbacks) == 3 and sorted(len(ids) for ids in sent) == [1, 2, 2]  # 6 plans by id, 2 at a time
    queued = {report_id for ids in sent for report_id in ids}
    reports_made = ProgressReport.objects.filter(period_start=datetime.date(2026, 10, 1))
    assert queued == {str(pk) for pk in reports_made.values_list("pk", flat=True)}
    assert set(reports_made.values_list("plan_id", flat=True)) == {plan.pk for plan in plans}
    assert set(reports_made.values_list("status", flat=True)) == {ReportStatus.PENDING}
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, object_id__in=queued).count() == 5

    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = monthly_reports_request(by=BY, today=FIRST)
    assert again == {"created": 0, "existing": 5, "skipped": 1}
    assert sent == []


def test_a_batch_costs_the_same_queries_for_one_plan_or_many(
    practice, owner, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(reports, "_enqueue", lambda *ids: len(ids))
    patient = PatientFactory(practice=practice, primary_therapist=owner)
    PlanFactory(patient=patient, start_date=datetime.date(2026, 9, 15))
    with django_capture_on_commit_callbacks(execute=True):
        monthly_reports_request(by=BY, today=FIRST)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        monthly_reports_request(by=BY, today=FIRST)  # everything asked for already
    for _ in range(8):
        PlanFactory(patient=patient, start_date=datetime.date(2026, 9, 15))
    with django_capture_on_commit_callbacks(execute=True):
        monthly_reports_request(by=BY, today=FIRST)
    with django_assert_num_queries(len(one)):
        monthly_reports_request(by=BY, today=FIRST)
