"""Plan reviews and sealed plan versions in Django admin: read-only, scoped to the admin's practice, reads audited.

Reviews are recorded (and co-signed) in the app or the API, through `reviews.services.reviews`, which seals a
version with each one; a version never changes, so neither is written or deleted here.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from accounts.admin_base import ReadOnlyAdmin
from reviews.models import PlanReview, PlanVersion


@admin.register(PlanReview)
class PlanReviewAdmin(ReadOnlyAdmin):
    """Who reviewed which plan when, what they found, and who co-signed."""

    practice_lookup = "plan__patient__practice"
    audit_reads = True
    list_display = ["review_date", "plan", "reviewer", "goals_on_track", "goals_reviewed", "version", "cosigned_by"]
    list_filter = ["review_date"]
    search_fields = ["plan__title", "plan__patient__last_name", "plan__patient__external_id", "summary"]
    date_hierarchy = "review_date"
    list_select_related = ["plan__patient", "reviewer", "cosigned_by"]
    fields = [
        "plan",
        "review_date",
        "reviewer",
        "summary",
        ("goals_reviewed", "goals_on_track"),
        "modifications_made",
        "next_review_date",
        "version",
        ("cosigned_by", "cosigned_at"),
        "created_at",
    ]
    readonly_fields = [name for item in fields for name in (item if isinstance(item, tuple) else (item,))]


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    """The immutable snapshot of a plan each review sealed."""

    practice_lookup = "plan__patient__practice"
    audit_reads = True
    list_display = ["plan", "number", "created_by", "created_at"]
    search_fields = ["plan__title", "plan__patient__last_name", "plan__patient__external_id"]
    date_hierarchy = "created_at"
    list_select_related = ["plan__patient", "created_by"]
    fields = ["plan", "number", "review", "created_by", "created_at", "snapshot_json"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # The list shows no snapshot: leave the JSON in the database until a version is opened.
        url_name = getattr(request.resolver_match, "url_name", "") or ""
        return queryset.defer("snapshot") if url_name.endswith("changelist") else queryset

    @admin.display(description="Snapshot")
    def snapshot_json(self, version: PlanVersion):
        return format_html("<pre>{}</pre>", json.dumps(version.snapshot, indent=2, ensure_ascii=False))
