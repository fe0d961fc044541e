from django.core.management.base import BaseCommand

from accounts.audit import AuditContext
from reviews.management.commands._today import add_today_argument, parse_today
from reviews.services.reminders import review_reminders_send


class Command(BaseCommand):
    help = (
        "Send the plan review reminders that are due (the hourly beat task, run by hand): due soon, due today and "
        "overdue. Safe to re-run: a reminder already sent is not sent again."
    )

    def add_arguments(self, parser):
        add_today_argument(
            parser, "Act as if this were the date in every practice (default: each practice's own date)."
        )

    def handle(self, *args, **opts):
        today = parse_today(opts["today"], example="2026-10-08")
        counts = review_reminders_send(today=today, by=AuditContext.system("manage.py send_review_reminders"))
        total = sum(counts[kind] for kind in ("due_soon", "due", "overdue"))
        # The unsigned-plan reminders of the same sweep are named only when there are some.
        unsigned = f" and {_count(counts['unsigned'], 'unsigned-plan reminder')}" if counts["unsigned"] else ""
        self.stdout.write(
            f"Sent {_count(total, 'review reminder')} ({counts['due_soon']} due soon, {counts['due']} due today, "
            f"{counts['overdue']} overdue){unsigned}: {_count(counts['notifications'], 'notification')}, "
            f"{_count(counts['emails'], 'email')}."
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
