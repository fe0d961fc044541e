"""`manage.py generate_monthly_reports`: the monthly beat task, run by hand."""

import datetime
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from reviews.models import ProgressReport


def test_asks_for_last_months_report_once(plan, media_root, capsys, django_capture_on_commit_callbacks):
    plan.start_date = datetime.date(2026, 9, 15)
    plan.save(update_fields=["start_date"])

    with django_capture_on_commit_callbacks():  # the render is queued for the worker, not run here
        call_command("generate_monthly_reports", "--today", "2026-11-01")
        call_command("generate_monthly_reports", "--today", "2026-11-01")

    report = ProgressReport.objects.get(plan=plan)
    assert (report.period_start, report.period_end) == (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
    assert report.requested_by is None
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Asked for 1 progress report(s); 0 already asked for, 0 plan(s) with nothing to report.",
        "Asked for 0 progress report(s); 1 already asked for, 0 plan(s) with nothing to report.",
    ]


@pytest.mark.django_db
def test_a_bad_date_is_refused_with_a_sentence():
    with pytest.raises(CommandError, match="--today must be a date written YYYY-MM-DD"):
        call_command("generate_monthly_reports", "--today", "November")
    assert not ProgressReport.objects.exists()


def test_the_shell_exit_code_is_non_zero_on_a_bad_date():
    result = subprocess.run(
        [sys.executable, "manage.py", "generate_monthly_reports", "--today", "2026-13-01"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "--today must be a date written YYYY-MM-DD" in result.stderr
