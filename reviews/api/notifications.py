"""The notifications API: a caller reads and marks their own in-app notifications, nobody else's.

Notifications belong to a user, not to a patient's record, so this is not a `PatientDataViewSet`: the
queryset is the caller's own (`reviews.selectors.user_notifications`), and anyone else's is a 404.
"""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.base import AuditedReadMixin
from accounts.api.fields import ModelSerializer
from accounts.api.routers import UUID, OptionalSlashRouter
from accounts.filters import StrictBooleanFilter
from reviews.models import Notification
from reviews.selectors import user_notifications
from reviews.services.notifications import notification_mark_read, notifications_mark_all_read, unread_count


class NotificationSerializer(ModelSerializer):
    plan_id = serializers.UUIDField(read_only=True, allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "plan_id", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None


class NotificationFilter(django_filters.FilterSet):
    unread = StrictBooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="Only unread (true) or only read (false) notifications"
    )

    class Meta:
        model = Notification
        fields = ["unread"]


MARKED = inline_serializer("NotificationsMarked", {"marked": serializers.IntegerField()})
UNREAD = inline_serializer("NotificationsUnread", {"unread": serializers.IntegerField()})


@extend_schema_view(
    list=extend_schema(summary="List the caller's notifications, unread first, then newest"),
    retrieve=extend_schema(summary="Get one of the caller's notifications"),
)
class NotificationViewSet(AuditedReadMixin):
    """The caller's own notifications (review reminders and the like); others' answer 404."""

    lookup_url_kwarg = "notification_id"
    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    lookup_value_regex = UUID

    def get_queryset(self):
        # The patient, for the audit trail: a notification names one by initials.
        return user_notifications(self.request.user).select_related("plan__patient", "measurement__patient")

    @extend_schema(summary="Mark a notification read", request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, *args, **kwargs):
        notification = notification_mark_read(user=request.user, notification=self.get_object())
        return Response(self.get_serializer(notification).data)

    @extend_schema(summary="Mark all the caller's notifications read", request=None, responses=MARKED)
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None, pagination_class=None)
    def read_all(self, request):
        return Response({"marked": notifications_mark_all_read(user=request.user)})

    @extend_schema(summary="How many unread notifications the caller has", responses=UNREAD)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None, pagination_class=None)
    def unread_count(self, request):
        return Response({"unread": unread_count(request.user)})


router = OptionalSlashRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
