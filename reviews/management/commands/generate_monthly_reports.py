import datetime

from django.core.management.base import BaseCommand, CommandError

from accounts.audit import AuditContext
from reviews.services.reports import monthly_reports_request


class Command(BaseCommand):
    help = (
        "Ask for last month's PDF progress report of every active plan (the monthly beat task, run by hand); "
        "the worker renders them. Safe to re-run: a plan and month already asked for is not asked again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="Act as if this were the date in every practice: reports cover the month before it.",
        )

    def handle(self, *args, **opts):
        today = None
        if opts["today"]:
            try:
                today = datetime.date.fromisoformat(opts["today"])
            except ValueError:
                raise CommandError(
                    f"--today must be a date written YYYY-MM-DD, such as 2026-11-01; {opts['today']!r} is not one."
                ) from None
        counts = monthly_reports_request(by=AuditContext.system("manage.py generate_monthly_reports"), today=today)
        self.stdout.write(
            f"Asked for {counts['created']} progress report(s); {counts['existing']} already asked for, "
            f"{counts['skipped']} plan(s) with nothing to report."
        )
