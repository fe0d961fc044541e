"""Reading and marking one's own notifications (the reminders service creates them)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from reviews.models import Notification
from reviews.selectors import has_unread_notifications, user_notifications


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
    """How many unread notifications the user has, among those they may see (`user_notifications`): every page's
    header asks, and a user with none unread costs one look-up (`has_unread_notifications`)."""
    if not has_unread_notifications(user):
        return 0
    return user_notifications(user).unread().count()
