"""The error summary's links (`templates/includes/_error_summary.html`), shared by every form page."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class ErrorLink:
    """One field's errors in the summary and the element its link moves to."""

    label: str
    anchor: str
    errors: list[str]


@register.filter
def error_links(form: forms.BaseForm) -> list[ErrorLink]:
    """The form's field errors in the order the fields are shown, each linked to its input.

    A form whose field is not an input of its own (a hidden list the page edits with buttons) names the
    element to link to in `error_anchors` = {field name: element id}.
    """
    anchors: dict[str, str] = getattr(form, "error_anchors", {})
    links = []
    for field in form:
        if field.errors:
            # A group of radios or checkboxes is reached through its first choice.
            first = field.subwidgets[0].id_for_label if field.use_fieldset and field.subwidgets else ""
            anchor = anchors.get(field.name) or first or field.id_for_label or field.auto_id
            links.append(
                ErrorLink(label=str(field.label), anchor=anchor, errors=[str(error) for error in field.errors])
            )
    return links
