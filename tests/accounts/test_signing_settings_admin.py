"""The signed-plan settings in Django admin: the practice's (client signature, reminder days, signed plan before
progress, paper size) on its change form, and the staff record's "needs supervision" flag, saved and audited."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent, Practice
from tests.accounts.test_admin import staff_form

pytestmark = pytest.mark.django_db


def practice_form(practice, **overrides):
    return {
        "name": practice.name,
        "time_zone": practice.time_zone,
        "address": "1 River Road\nSpringfield",
        "mfa_required": "",
        "default_review_frequency_days": practice.default_review_frequency_days,
        "review_reminder_lead_days": practice.review_reminder_lead_days,
        "review_reminder_hour": practice.review_reminder_hour,
        "require_client_signature": "on",
        "signature_reminder_days": "7",
        "document_paper_size": "letter",
        "measure_every_sessions": "4",
        "measure_every_days": "30",
        **overrides,
    }


def test_the_practice_form_has_the_signed_plan_settings(client, practice_admin, practice):
    client.force_login(practice_admin)
    page = client.get(f"/admin/accounts/practice/{practice.pk}/change/").content.decode()
    for name in ("require_client_signature", "signature_reminder_days", "require_signed_plan_for_progress"):
        assert f'name="{name}"' in page
    assert "Signed plans" in page

    form = practice_form(practice, require_client_signature="", signature_reminder_days="14")
    form["require_signed_plan_for_progress"] = "on"
    response = client.post(f"/admin/accounts/practice/{practice.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Practice.objects.get(pk=practice.pk)
    assert (saved.require_client_signature, saved.signature_reminder_days, saved.require_signed_plan_for_progress) == (
        False,
        14,
        True,
    )


def test_the_staff_form_flags_a_clinician_as_needing_supervision(client, practice_admin, owner):
    client.force_login(practice_admin)
    form = staff_form(
        email=owner.email,
        full_name=owner.full_name,
        credentials=owner.credentials,
        supervisor=str(owner.supervisor_id),
        needs_supervision="on",
        password1="",
    )
    response = client.post(f"/admin/accounts/user/{owner.pk}/change/", form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    owner.refresh_from_db()
    assert owner.needs_supervision is True
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(owner.pk), action="update")
    assert event.changes == {"needs_supervision": [False, True]}
