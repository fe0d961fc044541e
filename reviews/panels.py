"""The reviews app's panels on the plan page (treatment's `PlanPanel` slot), registered at app ready."""

from django.db.models import Prefetch

from reviews.models import PlanSignature, PlanVersion
from treatment.panels import PlanPanel, register_plan_panel


def register() -> None:
    register_plan_panel(
        PlanPanel(
            template="reviews/_plan_signatures.html",
            # Neither the drawn images nor the versions' snapshots are shown: they stay in the database.
            prefetch=(
                Prefetch(
                    "signatures",
                    queryset=PlanSignature.objects.select_related("version")
                    .defer("image", "intent_statement", "version__snapshot")
                    .order_by("-signed_at", "-id"),
                ),
            ),
            order=5,
        )
    )
    register_plan_panel(
        PlanPanel(
            template="reviews/_plan_reviews.html",
            # The versions list needs no snapshot (a whole plan each), so it is left in the database.
            prefetch=(
                "reviews__reviewer",
                "reviews__cosigned_by",
                Prefetch("versions", queryset=PlanVersion.objects.defer("snapshot")),
            ),
            order=10,
        )
    )
    register_plan_panel(
        PlanPanel(template="reviews/_plan_reports.html", prefetch=("progress_reports__requested_by",), order=20)
    )
