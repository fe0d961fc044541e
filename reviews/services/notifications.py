"""Reading and marking one's own notifications (the reminders service creates them)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from reviews.models import Notification
from reviews.selectors import user_notifications


@transaction.atomic
def notification_mark_read(*, user: User, notification: Notification) -> Notification:
    """Mark one of the user's notifications read; marking it again keeps the first reading's time."""
    if notification.recipient_id != user.pk:
        raise PermissionDenied("This notification is someone else's.")
    now = timezone.now()
    # Conditional, so two tabs marking the same notification agree on when it was first read.
    if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
        notification.read_at = now
    elif notification.read_at is None:
        notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification the user can see read; returns how many were marked."""
    return user_notifications(user).unread().update(read_at=timezone.now())


def unread_count(user: User) -> int:
    """How many unread notifications the user has, among those they may see (`user_notifications`).

    Every page's header asks. A user with no unread notification at all, the usual case, costs one look-up on the
    (recipient, read_at) index; the count over what they may see, a query PostgreSQL takes longer to plan than to
    run, is made only when there is something to count.
    """
    if not Notification.objects.filter(recipient=user, read_at__isnull=True).exists():
        return 0
    return user_notifications(user).unread().count()
