"""`{% signature_panel as panel %}`: the plan page's signature panel (`reviews.signature_panel`)."""

from __future__ import annotations

from typing import Any

from django import template

from reviews.signature_panel import SignaturePanel, signature_panel

register = template.Library()


@register.simple_tag(takes_context=True, name="signature_panel")
def signature_panel_tag(context: Any) -> SignaturePanel:
    return signature_panel(context["plan"], context["user"], can_change=bool(context.get("can_change")))
