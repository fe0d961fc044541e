"""The plan page's panel slot: treatment names nothing of reviews; reviews fills the slot when it is ready."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from treatment import panels
from treatment.panels import PlanPanel, panel_prefetches, plan_panels, register_plan_panel


def test_reviews_registers_its_panels_in_order():
    assert [panel.template for panel in plan_panels()] == [
        "reviews/_plan_signatures.html",
        "reviews/_plan_reviews.html",
        "reviews/_plan_reports.html",
    ]
    lookups = [getattr(lookup, "prefetch_through", lookup) for lookup in panel_prefetches()]
    assert lookups == [
        "signatures",
        "reviews__reviewer",
        "reviews__cosigned_by",
        "versions",
        "progress_reports__requested_by",
    ]


def test_registering_a_template_again_replaces_it(monkeypatch):
    monkeypatch.setattr(panels, "_panels", list(panels._panels))
    register_plan_panel(PlanPanel(template="other/_first.html", order=1))
    register_plan_panel(PlanPanel(template="reviews/_plan_reports.html", prefetch=("x",), order=0))

    assert [panel.template for panel in plan_panels()] == [
        "reviews/_plan_reports.html",
        "other/_first.html",
        "reviews/_plan_signatures.html",
        "reviews/_plan_reviews.html",
    ]
    assert panel_prefetches()[0] == "x"


def test_treatments_templates_name_no_other_apps_templates():
    folder = Path(settings.BASE_DIR, "templates", "treatment")
    offenders = [path.name for path in folder.rglob("*.html") if "reviews/" in path.read_text()]
    assert offenders == []


@pytest.mark.django_db
def test_the_plan_page_shows_the_registered_panels(client, owner, plan):
    client.force_login(owner)
    body = client.get(reverse("plan-detail", args=[plan.pk])).content.decode()

    assert body.index('id="sessions-heading"') < body.index('id="plan-signatures-heading"')
    assert body.index('id="plan-signatures-heading"') < body.index('id="plan-reviews-heading"')
    assert body.index('id="plan-reviews-heading"') < body.index('id="plan-versions-heading"')
    assert body.index('id="plan-versions-heading"') < body.index('id="plan-reports-heading"')
