"""Signing a plan in a real browser (issue 13): the clinician signs with the password, hands the tablet page to
the client, who draws a signature with pointer events and signs; the device comes back only with the clinician's
password; the supervisor of the supervised clinician co-signs in their own browser; the plan shows `signed`. Then
an amendment with a reason makes it `amended_unsigned` and the version diff shows the reason. axe finds no WCAG
A/AA violation on any of the new pages."""

import re

import pytest
from playwright.sync_api import expect

from reviews.models import PlanSignature
from tests.browser.axe import assert_accessible
from treatment.models import TreatmentPlan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "The client asked to add sleep to the plan"


def sign_in_on(page, user, password):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/")


def status_badge(page):
    return page.locator("#plan-signatures [data-signature-status]")


def draw_signature(page):
    """A stroke across the pad with the mouse: pointerdown, pointermove (many steps), pointerup."""
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + 30, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(x + step * 12, y + (15 if step % 2 else -15), steps=2)
    page.mouse.up()


def test_clinician_client_and_supervisor_sign_then_an_amendment_unsigns(
    browser, live_server, page, sign_in, password, owner, supervisor, plan, tree
):
    owner.needs_supervision = True
    owner.save(update_fields=["needs_supervision"])

    # --- the clinician signs ---------------------------------------------------------------------------
    sign_in(owner)
    page.goto(f"/plans/{plan.pk}/")
    expect(status_badge(page)).to_have_attribute("data-signature-status", "unsigned")
    assert_accessible(page)
    page.get_by_role("link", name="Sign plan").click()
    expect(page.get_by_role("heading", name="You are signing version 1")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Sign version 1").click()
    expect(page.get_by_role("alert")).to_contain_text("That password is not right.")
    assert_accessible(page)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Sign version 1").click()
    page.wait_for_url(f"**/plans/{plan.pk}/#plan-signatures")
    expect(status_badge(page)).to_have_attribute("data-signature-status", "awaiting_client")

    # --- the client signs on the tablet ----------------------------------------------------------------
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    page.get_by_role("button", name="Hand to client to sign").click()
    page.wait_for_url(f"**/plans/{plan.pk}/sign/client/")
    expect(page.get_by_role("heading", level=1, name="Your treatment plan")).to_be_visible()
    expect(page.get_by_text(tree["long_term"].description)).to_be_visible()
    assert page.locator("nav, a").count() == 0
    assert_accessible(page)
    draw_signature(page)
    expect(page.get_by_label("Sign by drawing on the signature pad")).to_be_checked()
    expect(page.locator("[data-signature-pad-status]")).to_have_text("Signature drawn.")
    assert page.locator("#signature-image").input_value().startswith("data:image/png;base64,")
    page.get_by_label("Full name of the person signing").fill("Emily Carter")
    assert_accessible(page)
    page.get_by_role("button", name="Sign the plan").click()

    # --- locked until the clinician's password ---------------------------------------------------------
    page.wait_for_url(f"**/plans/{plan.pk}/sign/hand-back/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: please hand the device back")
    assert_accessible(page)
    page.goto("/dashboard/")
    page.wait_for_url(f"**/plans/{plan.pk}/sign/hand-back/")
    page.get_by_label("Your password").fill("a guess")
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("alert")).to_contain_text("That password is not right.")
    assert_accessible(page)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url(f"**/plans/{plan.pk}/#plan-signatures")
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(status_badge(page)).to_have_attribute("data-signature-status", "awaiting_supervisor")
    drawn = PlanSignature.objects.get(role="client")
    assert (drawn.method, drawn.signer_name) == ("drawn", "Emily Carter")
    assert bytes(drawn.image).startswith(b"\x89PNG")

    # --- the supervisor co-signs in their own browser --------------------------------------------------
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    try:
        other = context.new_page()
        sign_in_on(other, supervisor, password)
        other.goto(f"/plans/{plan.pk}/")
        other.get_by_role("link", name="Co-sign plan").click()
        expect(other.get_by_role("heading", name="You are signing version 1")).to_be_visible()
        assert_accessible(other)
        other.get_by_label("Your password").fill(password)
        other.get_by_role("button", name="Co-sign version 1").click()
        other.wait_for_url(f"**/plans/{plan.pk}/#plan-signatures")
        expect(status_badge(other)).to_have_attribute("data-signature-status", "signed")
        expect(other.locator("#plan-signatures")).to_contain_text("Emily Carter")
        assert_accessible(other)
    finally:
        context.close()

    page.reload()
    expect(status_badge(page)).to_have_attribute("data-signature-status", "signed")
    expect(page.get_by_role("link", name=re.compile("Download signed plan"))).to_be_visible()
    assert TreatmentPlan.objects.get(pk=plan.pk).signed_version == 1
    # The document page while the worker renders it (there is no worker here): it says so, and asks again.
    page.goto(f"/plans/{plan.pk}/versions/1/document/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Treatment-plan document, version 1")
    assert_accessible(page)

    # --- an amendment with a reason --------------------------------------------------------------------
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_text("This plan is signed: changing it needs a reason").first.click()
    page.get_by_label("This plan is signed: say why you are changing it").fill(REASON)
    page.get_by_role("button", name="Use this reason").click()
    page.goto(f"/plans/{plan.pk}/edit/")
    page.get_by_label("Title").fill("Anxiety and Sleep Plan")
    page.get_by_role("button", name="Save plan").last.click()
    page.wait_for_url(f"**/plans/{plan.pk}/")
    expect(status_badge(page)).to_have_attribute("data-signature-status", "amended_unsigned")
    expect(page.get_by_role("link", name="Sign plan")).to_be_visible()
    page.goto(f"/plans/{plan.pk}/versions/compare/?a=1&b=current")
    assert REASON in page.locator("tr", has_text="Anxiety and Sleep Plan").first.inner_text()
