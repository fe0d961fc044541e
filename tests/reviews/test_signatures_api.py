"""The plan signatures API: `GET|POST /api/v1/treatment-plans/{id}/signatures`, with and without the slash.

The access matrix for the cast's five roles (the care team signs as clinician and records the client's
signature; only the supervisor of the plan's clinician co-signs; a colleague off the care team and another
practice's admin get 404; the practice admin and the supervisor, who read the plan, 403 where they may not
sign), the answers (201, 403 counted toward the lockout, 409, 400 naming the fields), and the plan's own
`signature_status` and `signed_version`.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from rest_framework.test import APIClient

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanSignature
from tests.factories import PASSWORD
from tests.reviews.test_signing import png_data_url, sign_staff
from treatment.models import TreatmentPlan
from treatment.services.signature_state import plan_signature_state_set, status_after_amendment

pytestmark = pytest.mark.django_db

ROLES = ["owner", "colleague", "supervisor", "practice_admin", "outsider_admin"]
READ = {"owner": 200, "colleague": 404, "supervisor": 200, "practice_admin": 200, "outsider_admin": 404}
SIGN = {"owner": 201, "colleague": 404, "supervisor": 403, "practice_admin": 403, "outsider_admin": 404}
COSIGN = {"owner": 403, "colleague": 404, "supervisor": 201, "practice_admin": 403, "outsider_admin": 404}

CLINICIAN = {"role": "clinician", "password": PASSWORD}
CLIENT = {"role": "client", "method": "typed", "signer_name": "Emily Carter"}
SUPERVISOR = {"role": "supervisor", "password": PASSWORD}


def url(plan, slash: bool = False) -> str:
    return f"/api/v1/treatment-plans/{plan.pk}/signatures" + ("/" if slash else "")


def signatures(plan) -> int:
    return PlanSignature.objects.filter(plan=plan).count()


def writes() -> int:
    return AuditEvent.objects.filter(action__in=["create", "update"]).count()


@pytest.fixture
def signed_by_clinician(owner, plan, tree):
    sign_staff(owner, plan)
    return plan


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("slash", [False, True])
def test_reading_the_signatures(api, cast, signed_by_clinician, role, slash):
    plan = signed_by_clinician
    user = cast[role]
    response = api.as_(user).get(url(plan, slash))
    assert response.status_code == READ[role]
    views = AuditEvent.objects.filter(action="view", user=user, object_type="reviews.plansignature")
    if READ[role] == 200:
        [row] = response.json()["results"]
        signature = PlanSignature.objects.get(plan=plan)
        assert row == {
            "id": str(signature.pk),
            "version": 1,
            "role": "clinician",
            "signer": {"id": str(cast["owner"].pk), "name": cast["owner"].full_name},
            "signer_name": f"{cast['owner'].full_name}, LCSW",
            "relationship": "",
            "method": "password",
            "reason": "",
            "intent_statement": signature.intent_statement,
            "recorded_by": {"id": str(cast["owner"].pk), "name": cast["owner"].full_name},
            "signed_at": row["signed_at"],
            "content_hash": signature.content_hash,
            "has_image": False,
        }
        assert views.count() == 1
    else:
        assert views.count() == 0


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("body", "expected", "first"), [(CLINICIAN, SIGN, False), (CLIENT, SIGN, True)])
def test_signing_as_clinician_and_recording_the_client(api, cast, plan, tree, role, body, expected, first):
    if first:
        sign_staff(cast["owner"], plan)
    before, writes_before = signatures(plan), writes()
    response = api.as_(cast[role]).post(url(plan), body, format="json")
    assert response.status_code == expected[role], response.content
    if expected[role] == 201:
        assert signatures(plan) == before + 1
        assert response.json()["role"] == body["role"]
        assert AuditEvent.objects.filter(object_type="reviews.plansignature", action="create").count() == before + 1
    else:
        assert signatures(plan) == before
        assert writes() == writes_before


@pytest.mark.parametrize("role", ROLES)
def test_only_the_supervisor_of_the_plans_clinician_cosigns(api, cast, signed_by_clinician, role):
    plan = signed_by_clinician
    before, writes_before = signatures(plan), writes()
    response = api.as_(cast[role]).post(url(plan, slash=True), SUPERVISOR, format="json")
    assert response.status_code == COSIGN[role], response.content
    assert signatures(plan) == before + (COSIGN[role] == 201)
    if COSIGN[role] != 201:
        assert writes() == writes_before


def test_unauthenticated_is_401_and_signs_nothing(plan, tree):
    assert APIClient().post(url(plan), CLINICIAN, format="json").status_code == 401
    assert APIClient().get(url(plan)).status_code == 401
    assert signatures(plan) == 0


def test_a_wrong_password_is_403_and_counted(api, owner, plan, tree):
    response = api.as_(owner).post(url(plan), {**CLINICIAN, "password": "nope"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "That password is not right."}
    assert AccessAttempt.objects.get(username=owner.email).failures_since_start == 1
    assert signatures(plan) == 0


def test_nothing_new_is_409_and_the_client_before_the_clinician_too(api, owner, plan, tree):
    response = api.as_(owner).post(url(plan), CLIENT, format="json")
    assert response.status_code == 409
    assert "clinician signs" in response.json()["detail"]
    assert api.as_(owner).post(url(plan), CLINICIAN, format="json").status_code == 201
    response = api.as_(owner).post(url(plan), CLINICIAN, format="json")
    assert response.status_code == 409
    assert "nothing has changed" in response.json()["detail"]
    assert signatures(plan) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"role": "clinician"}, {"password"}),
        ({"role": "signer"}, {"role"}),
        ({"role": "clinician", "password": PASSWORD, "signer_name": "X"}, {"signer_name"}),
        ({"role": "client", "signer_name": "Emily Carter"}, {"method"}),
        ({"role": "client", "method": "typed", "signer_name": "E", "password": PASSWORD}, {"password"}),
        ({"role": "guardian", "method": "drawn", "signer_name": ""}, {"signer_name", "relationship", "image"}),
        ({"role": "client", "method": "declined", "signer_name": "Emily Carter"}, {"reason"}),
        (
            {"role": "client", "method": "drawn", "signer_name": "Emily Carter", "image": "data:image/png;base64,AAAA"},
            {"image"},
        ),
        ({"role": "client", "method": "typed", "signer_name": 7}, {"signer_name"}),
    ],
)
def test_bad_fields_are_400_naming_them(api, owner, signed_by_clinician, body, fields):
    plan = signed_by_clinician
    response = api.as_(owner).post(url(plan), body, format="json")
    assert response.status_code == 400, response.content
    assert set(response.json()) == fields
    assert signatures(plan) == 1


def test_a_drawn_guardian_signature(api, owner, signed_by_clinician):
    plan = signed_by_clinician
    body = {"role": "guardian", "method": "drawn", "signer_name": "Ann Carter", "relationship": "mother"}
    response = api.as_(owner).post(url(plan), {**body, "image": png_data_url()}, format="json")
    assert response.status_code == 201
    assert (response.json()["has_image"], response.json()["relationship"]) == (True, "mother")
    assert PlanSignature.objects.get(role="guardian").image_data_url == png_data_url()


def test_the_plan_says_where_it_stands(api, owner, practice, plan, tree):
    """`signature_status` and `signed_version` on the plan's detail and list (the detail's `amendments` since the
    signed version are the amendment path's: tests/treatment/test_amendments_api.py)."""
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    detail = f"/api/v1/treatment-plans/{plan.pk}"
    body = api.as_(owner).get(detail).json()
    assert (body["signature_status"], body["signed_version"]) == ("unsigned", None)
    sign_staff(owner, plan)
    listed = api.as_(owner).get("/api/v1/treatment-plans").json()["results"]
    assert [(p["signature_status"], p["signed_version"]) for p in listed] == [("signed", 1)]
    locked = TreatmentPlan.objects.get(pk=plan.pk)
    plan_signature_state_set(by=AuditContext(user=owner), plan=locked, status=status_after_amendment(locked))
    body = api.as_(owner).get(detail).json()
    assert (body["signature_status"], body["signed_version"]) == ("amended_unsigned", 1)
    sign_staff(owner, plan)
    body = api.as_(owner).get(detail).json()
    assert (body["signature_status"], body["signed_version"]) == ("signed", 2)
