"""Plan reviews, sealed plan versions and their signatures in Django admin: read-only, scoped to the admin's
practice, reads audited.

Reviews are recorded (and co-signed) in the app or the API, through `reviews.services.reviews`, which seals a
version with each one; a version never changes, so neither is written or deleted here. Signatures are made in
the app or the API (`reviews.services.signatures.plan_sign`) and are append-only: no one, a superuser included,
adds, changes or deletes one here (and the database refuses it on PostgreSQL).
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from accounts.admin_base import ReadOnlyAdmin, ReadOnlyInline
from reviews.models import PlanReview, PlanSignature, PlanVersion

#: What a signature shows in admin (never the image bytes themselves: `has_image` says whether there is one).
SIGNATURE_ADMIN_FIELDS: tuple[str, ...] = (
    "role",
    "signer_name",
    "signer",
    "relationship",
    "method",
    "reason",
    "signed_at",
    "recorded_by",
    "content_hash",
    "has_image",
)

SIGNATURE_DETAIL_FIELDS: tuple[str, ...] = (
    "plan",
    "version",
    *SIGNATURE_ADMIN_FIELDS,
    "intent_statement",
    "signer_license",
    "image_preview",
)


class PlanSignatureInline(ReadOnlyInline):
    """The signatures of a version, newest first."""

    model = PlanSignature
    fk_name = "version"
    fields = readonly_fields = SIGNATURE_ADMIN_FIELDS
    ordering = ["-signed_at"]
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("signer", "recorded_by").defer("image")


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
    inlines = [PlanSignatureInline]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # The list shows no snapshot: leave the JSON in the database until a version is opened.
        url_name = getattr(request.resolver_match, "url_name", "") or ""
        return queryset.defer("snapshot") if url_name.endswith("changelist") else queryset

    @admin.display(description="Snapshot")
    def snapshot_json(self, version: PlanVersion):
        return format_html("<pre>{}</pre>", json.dumps(version.snapshot, indent=2, ensure_ascii=False))


@admin.register(PlanSignature)
class PlanSignatureAdmin(ReadOnlyAdmin):
    """Who signed which plan version, in which role, how, and the hash of what they signed."""

    practice_lookup = "plan__patient__practice"
    audit_reads = True
    list_display = ["signed_at", "plan", "version", "role", "signer_name", "method"]
    list_filter = ["role", "method", "signed_at"]
    search_fields = ["plan__title", "plan__patient__last_name", "plan__patient__external_id", "signer_name"]
    date_hierarchy = "signed_at"
    list_select_related = ["plan__patient", "version"]
    fields = readonly_fields = SIGNATURE_DETAIL_FIELDS

    def get_queryset(self, request):
        queryset = super().get_queryset(request).defer("version__snapshot")
        url_name = getattr(request.resolver_match, "url_name", "") or ""
        return queryset.defer("image") if url_name.endswith("changelist") else queryset

    @admin.display(description="Drawn signature")
    def image_preview(self, signature: PlanSignature):
        if not signature.has_image:
            return "—"
        return format_html('<img src="{}" alt="The drawn signature" width="300">', signature.image_data_url)
