"""Review reminders and notifications in Django admin: read-only, each practice admin sees their own practice's.

Both are written only by the reminder sweep (`reviews.services.reminders`) and, for notifications, read and
marked read by their recipients in the app. A reminder names its plan, so opening reminders is an audited read
of patient data; a notification carries no PHI beyond initials and its admin does not show the plan.
"""

from django.contrib import admin

from accounts.admin_base import ReadOnlyAdmin
from reviews.models import Notification, ReviewReminder


class ResolvedFilter(admin.SimpleListFilter):
    title = "resolved"
    parameter_name = "resolved"

    def lookups(self, request, model_admin):
        return [("no", "Open"), ("yes", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(resolved_at__isnull=self.value() == "no")
        return queryset


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnlyAdmin):
    """Which reminders the daily sweep sent, for which plan and review date, and whether they were answered."""

    practice_lookup = "plan__patient__practice"
    audit_reads = True
    list_display = ["kind", "due_date", "plan", "therapist", "created_at", "resolved_at"]
    list_filter = ["kind", ResolvedFilter]
    search_fields = ["plan__patient__last_name", "plan__patient__external_id"]
    date_hierarchy = "due_date"
    list_select_related = ["plan__patient", "plan__therapist"]
    fields = ["plan", "kind", "due_date", "created_at", "resolved_at"]
    readonly_fields = fields

    @admin.display(description="Therapist", ordering="plan__therapist__full_name")
    def therapist(self, obj):
        return obj.plan.therapist


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The in-app messages sent to staff: to whom, what, whether read and emailed."""

    practice_lookup = "recipient__practice"
    list_display = ["title", "recipient", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind", ("recipient", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "recipient__email", "recipient__full_name"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient", "plan__patient"]
    audit_reads = True
    # Not the plan: its title is clinical; the link and the reminder say enough for an admin.
    fields = ["recipient", "kind", "title", "body", "link", "reminder", "created_at", "read_at", "emailed_at"]
    readonly_fields = fields
