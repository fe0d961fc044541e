from django.core.management.base import BaseCommand

from accounts.audit import AuditContext
from reviews.management.commands._today import add_today_argument, parse_today
from reviews.services.reports import monthly_reports_request


class Command(BaseCommand):
    help = (
        "Ask for last month's PDF progress report of every active plan (the monthly beat task, run by hand); "
        "the worker renders them. Safe to re-run: a plan and month already asked for is not asked again."
    )

    def add_arguments(self, parser):
        add_today_argument(parser, "Act as if this were the date in every practice: reports cover the month before it.")

    def handle(self, *args, **opts):
        today = parse_today(opts["today"], example="2026-11-01")
        counts = monthly_reports_request(by=AuditContext.system("manage.py generate_monthly_reports"), today=today)
        self.stdout.write(
            f"Asked for {counts['created']} progress report(s); {counts['existing']} already asked for, "
            f"{counts['skipped']} plan(s) with nothing to report."
        )
