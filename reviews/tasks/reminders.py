"""Review reminder tasks: the sweep celery-beat runs hourly (reviews migrations 0003 and 0005).

Hourly, not daily: a beat message lost to a broker outage is made up by the next hour's run, and the sweep
sends each reminder once however often it runs (a unique constraint decides), so an outage delays a
"due today" reminder, it does not lose it.
"""

import datetime

from celery import shared_task

from accounts.audit import AuditContext
from accounts.tasks import DB_RETRY
from reviews.services.reminders import reminder_emails_send, review_reminders_send

__all__ = ["send_reminder_emails", "send_review_reminders"]


@shared_task(name="reviews.send_review_reminders", **DB_RETRY)
def send_review_reminders(today: str | None = None) -> dict[str, int]:
    """Hourly: remind therapists of reviews due soon, due today and overdue (safe to run any number of times).

    Each practice is reminded from its own `review_reminder_hour` on; the emails are queued in batches
    (`send_reminder_emails`), so a sweep of thousands of reminders is not held up by a mail server.
    `today` (ISO date) replaces each practice's own date, for catching up by hand.
    """
    day = datetime.date.fromisoformat(today) if today else None
    by = AuditContext.system("celery reviews.send_review_reminders")
    return review_reminders_send(today=day, by=by, at_practice_hour=True, queue_emails=True)


@shared_task(name="reviews.send_reminder_emails", **DB_RETRY)
def send_reminder_emails(notification_ids: list[str]) -> int:
    """Send one batch of the sweep's reminder emails (queued after its commit); each is sent once, however
    often the message is delivered: a notification is claimed before its email leaves."""
    return reminder_emails_send(notification_ids=notification_ids)
