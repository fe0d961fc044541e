"""The notifications pages: the list, marking one read (and opening its link), marking all read."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import ListView

from accounts.audit import Action, AuditContext, audit_record_many
from reviews.selectors import user_notifications
from reviews.services.notifications import notification_mark_read, notifications_mark_all_read


def internal_path(request, url: str) -> str | None:
    """`url` if it is a path inside Trellis ("/plans/..."), else None: a notification never sends anyone away."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return None
    return url


class NotificationListView(ListView):
    template_name = "reviews/notification_list.html"
    context_object_name = "notifications"
    paginate_by = 25

    def get_queryset(self):
        return user_notifications(self.request.user).select_related("plan__patient", "measurement__patient")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        audit_record_many(AuditContext.from_request(self.request), Action.VIEW, context["object_list"])
        return context


class NotificationReadView(View):
    """POST: mark one read; with `open`, go on to its link, else back to `next` (or the list)."""

    def post(self, request, pk):
        notification = get_object_or_404(user_notifications(request.user), pk=pk)
        notification_mark_read(user=request.user, notification=notification)
        if "open" in request.POST:
            link = internal_path(request, notification.link)
            if link:
                return redirect(link)
        return redirect(internal_path(request, request.POST.get("next", "")) or "notification-list")


class NotificationReadAllView(View):
    def post(self, request):
        marked = notifications_mark_all_read(user=request.user)
        if marked:
            messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
        else:
            messages.info(request, "No unread notifications.")
        return redirect(internal_path(request, request.POST.get("next", "")) or "notification-list")


urlpatterns = [
    path("notifications/", NotificationListView.as_view(), name="notification-list"),
    path("notifications/read-all/", NotificationReadAllView.as_view(), name="notification-read-all"),
    path("notifications/<uuid:pk>/read/", NotificationReadView.as_view(), name="notification-read"),
]
