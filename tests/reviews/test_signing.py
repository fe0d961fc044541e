"""Signing a plan (`reviews.services.signatures.plan_sign`): what each role signs, in which order each practice
setting asks, the password re-entry, the hash of the signed version and where the plan ends up."""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from accounts.audit import AuditContext
from accounts.models import AuditEvent
from reviews.models import PlanSignature, PlanVersion, SignatureMethod, SignatureRole
from reviews.services.signatures import (
    SigningConflict,
    WrongCredentials,
    canonical_json,
    content_hash,
    plan_sign,
)
from tests.factories import PASSWORD
from treatment.models import SignatureStatus, TreatmentPlan
from treatment.services import goal_update, plan_update
from treatment.services.signature_state import plan_signature_state_set, status_after_amendment

pytestmark = pytest.mark.django_db


def png_data_url(width: int = 4, height: int = 2) -> str:
    """A real (tiny, blank) PNG as the signature pad sends it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff" * width * 3 for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


def request_of(user):
    request = RequestFactory().post("/api/v1/treatment-plans/x/signatures", REMOTE_ADDR="10.0.0.9")
    request.user = user
    return request


def sign_staff(user, plan, role=SignatureRole.CLINICIAN, password=PASSWORD, **kwargs):
    request = request_of(user)
    return plan_sign(
        by=AuditContext.from_request(request), plan=plan, role=role, password=password, request=request, **kwargs
    )


def sign_client(clinician, plan, method=SignatureMethod.TYPED, **kwargs):
    kwargs.setdefault("signer_name", "Emily Carter")
    return plan_sign(
        by=AuditContext(user=clinician, channel="web"),
        plan=plan,
        role=kwargs.pop("role", "client"),
        method=method,
        **kwargs,
    )


def status_of(plan) -> tuple[str, int | None]:
    plan = TreatmentPlan.objects.get(pk=plan.pk)
    return plan.signature_status, plan.signed_version


@pytest.fixture
def supervised(owner):
    owner.needs_supervision = True
    owner.save(update_fields=["needs_supervision"])
    return owner


def test_the_clinician_signs_a_new_sealed_version_with_the_hash_of_its_canonical_json(owner, plan, tree):
    signature = sign_staff(owner, plan)
    version = PlanVersion.objects.get(pk=signature.version_id)
    assert version.number == 1
    assert TreatmentPlan.objects.get(pk=plan.pk).version == 2
    stored = PlanVersion.objects.get(pk=version.pk).snapshot
    expected = hashlib.sha256(
        json.dumps(stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    assert signature.content_hash == expected == content_hash(stored)
    assert canonical_json({"b": "é", "a": [1, 2]}) == '{"a":[1,2],"b":"é"}'.encode()
    assert signature.method == SignatureMethod.PASSWORD
    assert signature.signer_name == f"{owner.full_name}, LCSW"
    assert signature.signer == signature.recorded_by == owner
    assert status_of(plan) == (SignatureStatus.AWAITING_CLIENT, None)
    assert TreatmentPlan.objects.get(pk=plan.pk).first_signed_at == signature.signed_at
    assert (
        AuditEvent.objects.filter(
            object_type="reviews.plansignature", object_id=str(signature.pk), action="create"
        ).count()
        == 1
    )


# --- the order each practice setting asks for -----------------------------------------------------------


@pytest.mark.parametrize(
    ("client_required", "supervision", "steps"),
    [
        # (role signing, status after it)
        (True, False, [("clinician", "awaiting_client"), ("client", "signed")]),
        (False, False, [("clinician", "signed")]),
        (False, True, [("clinician", "awaiting_supervisor"), ("supervisor", "signed")]),
        (
            True,
            True,
            [("clinician", "awaiting_client"), ("client", "awaiting_supervisor"), ("supervisor", "signed")],
        ),
        # Both needed, the supervisor first: the status still names the client, who is still missing.
        (True, True, [("clinician", "awaiting_client"), ("supervisor", "awaiting_client"), ("client", "signed")]),
    ],
)
def test_the_signing_order_for_each_practice_setting(
    practice, owner, supervisor, plan, tree, client_required, supervision, steps
):
    practice.require_client_signature = client_required
    practice.save(update_fields=["require_client_signature"])
    owner.needs_supervision = supervision
    owner.save(update_fields=["needs_supervision"])
    for role, status in steps:
        if role == "clinician":
            signature = sign_staff(owner, plan)
        elif role == "supervisor":
            signature = sign_staff(supervisor, plan, role="supervisor")
        else:
            signature = sign_client(owner, plan)
        assert status_of(plan) == (status, 1 if status == "signed" else None), role
        # Everyone signs the version the clinician signed.
        assert PlanVersion.objects.get(pk=signature.version_id).number == 1
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_client_and_supervisor_sign_only_after_the_clinician(owner, supervisor, supervised, plan, tree):
    with pytest.raises(SigningConflict, match="clinician signs the plan first"):
        sign_client(owner, plan)
    with pytest.raises(SigningConflict, match="clinician signs the plan first"):
        sign_staff(supervisor, plan, role="supervisor")
    # A version sealed by something else (a review) without a clinician signature: still refused.
    sign_staff(owner, plan)
    plan_update(by=AuditContext(user=owner), plan=plan, title="Changed title", amendment_reason="Clearer title")
    sign_staff(owner, plan)  # a new version, 2
    assert PlanSignature.objects.filter(plan=plan).count() == 2
    assert status_of(plan) == (SignatureStatus.AWAITING_CLIENT, None)


def test_signing_again_with_nothing_new_is_a_conflict(owner, supervisor, supervised, plan, tree):
    sign_staff(owner, plan)
    with pytest.raises(SigningConflict, match="nothing has changed"):
        sign_staff(owner, plan)
    sign_client(owner, plan)
    with pytest.raises(SigningConflict, match="nothing has changed"):
        sign_client(owner, plan, method="declined", reason="Changed their mind")
    sign_staff(supervisor, plan, role="supervisor")
    with pytest.raises(SigningConflict):
        sign_staff(supervisor, plan, role="supervisor")
    assert PlanSignature.objects.filter(plan=plan).count() == 3
    assert status_of(plan) == (SignatureStatus.SIGNED, 1)


def test_a_change_after_signing_then_signing_again(owner, practice, plan, tree):
    """The agreed amendment rule (the amend path applies it through plan_signature_state_set): a signed plan that
    changes is amended_unsigned, keeps its signed version in force, and is signed again on a new version."""
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    first = sign_staff(owner, plan)
    assert status_of(plan) == (SignatureStatus.SIGNED, 1)
    goal_update(
        by=AuditContext(user=owner),
        goal=tree["objective"],
        description="Practise deep breathing twice a day",
        amendment_reason="Twice a day, as agreed in session",
    )
    locked = TreatmentPlan.objects.get(pk=plan.pk)
    plan_signature_state_set(by=AuditContext(user=owner), plan=locked, status=status_after_amendment(locked))
    assert status_of(plan) == (SignatureStatus.AMENDED_UNSIGNED, 1)
    second = sign_staff(owner, plan)
    assert PlanVersion.objects.get(pk=second.version_id).number == 2
    assert second.content_hash != first.content_hash
    assert status_of(plan) == (SignatureStatus.SIGNED, 2)
    # first_signed_at is the first clinician signature's, never moved.
    assert TreatmentPlan.objects.get(pk=plan.pk).first_signed_at == first.signed_at


def test_an_amendment_before_any_full_signature_makes_the_plan_unsigned_again(owner, plan, tree):
    sign_staff(owner, plan)
    locked = TreatmentPlan.objects.get(pk=plan.pk)
    plan_signature_state_set(by=AuditContext(user=owner), plan=locked, status=status_after_amendment(locked))
    assert status_of(plan) == (SignatureStatus.UNSIGNED, None)
    assert TreatmentPlan.objects.get(pk=plan.pk).first_signed_at is not None


# --- who signs, and how ---------------------------------------------------------------------------------


def test_a_client_signature_records_its_method_and_who_recorded_it(owner, plan, tree):
    sign_staff(owner, plan)
    drawn = sign_client(owner, plan, method="drawn", image=png_data_url())
    assert drawn.signer is None
    assert drawn.recorded_by == owner
    assert drawn.has_image
    assert drawn.image_data_url == png_data_url()
    assert "I agree to it" in drawn.intent_statement
    assert status_of(plan) == (SignatureStatus.SIGNED, 1)


def test_a_declined_client_signature_needs_its_reason_and_satisfies_the_rule(owner, plan, tree):
    sign_staff(owner, plan)
    with pytest.raises(ValidationError) as refused:
        sign_client(owner, plan, method="declined")
    assert set(refused.value.message_dict) == {"reason"}
    declined = sign_client(owner, plan, method="declined", reason="Wants to discuss the plan with family first")
    assert declined.reason == "Wants to discuss the plan with family first"
    assert "declined" in declined.intent_statement
    assert status_of(plan) == (SignatureStatus.SIGNED, 1)


def test_bad_client_fields_are_named(owner, plan, tree):
    sign_staff(owner, plan)
    with pytest.raises(ValidationError) as refused:
        sign_client(
            owner, plan, role="guardian", method="drawn", signer_name="", image="data:image/svg+xml;base64,PHN2Zy8+"
        )
    assert set(refused.value.message_dict) == {"signer_name", "relationship", "image"}
    with pytest.raises(ValidationError) as refused:
        sign_client(owner, plan, method="scribbled")
    assert set(refused.value.message_dict) == {"method"}
    with pytest.raises(ValidationError) as refused:
        sign_client(owner, plan, method="typed", image=png_data_url(), reason="why")
    assert set(refused.value.message_dict) == {"image", "reason"}
    with pytest.raises(ValidationError) as refused:
        sign_client(owner, plan, method="drawn", image=png_data_url(5000, 10))
    assert set(refused.value.message_dict) == {"image"}
    assert PlanSignature.objects.filter(role="client").count() == 0


def test_who_may_sign_in_which_role(owner, colleague, supervisor, practice_admin, plan, tree):
    for user in (colleague, practice_admin, supervisor):
        with pytest.raises(PermissionDenied):
            sign_staff(user, plan)
    sign_staff(owner, plan)
    for user in (owner, colleague, practice_admin):
        with pytest.raises(PermissionDenied, match="supervisor"):
            sign_staff(user, plan, role="supervisor")
    # Recording the client's signature is the care team's; the supervisor reads the record but is not on it.
    for user in (colleague, practice_admin, supervisor):
        with pytest.raises(PermissionDenied):
            sign_client(user, plan)
    assert PlanSignature.objects.count() == 1


# --- the password re-entry ------------------------------------------------------------------------------


def test_a_wrong_password_is_refused_and_counted_toward_the_lockout(owner, plan, tree, settings):
    from axes.models import AccessAttempt

    with pytest.raises(WrongCredentials) as refused:
        sign_staff(owner, plan, password="not-my-password")
    assert refused.value.field == "password"
    attempt = AccessAttempt.objects.get(username=owner.email)
    assert attempt.failures_since_start == 1
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        with pytest.raises(WrongCredentials):
            sign_staff(owner, plan, password="not-my-password")
    # Locked: even the right password is refused now.
    with pytest.raises(WrongCredentials, match="locked"):
        sign_staff(owner, plan)
    assert PlanSignature.objects.count() == 0
    assert status_of(plan) == (SignatureStatus.UNSIGNED, None)


def test_a_missing_password_is_a_field_error(owner, plan, tree):
    with pytest.raises(ValidationError) as refused:
        sign_staff(owner, plan, password="")
    assert set(refused.value.message_dict) == {"password"}


def test_an_enrolled_user_signs_with_their_authenticator_code_too(owner, plan, tree):
    from axes.models import AccessAttempt
    from django_otp.oath import TOTP

    from accounts.mfa.services import mfa_enrol, totp_key_new

    key = totp_key_new()
    mfa_enrol(by=AuditContext(user=owner), user=owner, key=key, code=None)
    with pytest.raises(ValidationError) as refused:
        sign_staff(owner, plan)
    assert set(refused.value.message_dict) == {"otp_code"}
    with pytest.raises(WrongCredentials) as wrong:
        sign_staff(owner, plan, otp_code="000000" if TOTP(bytes.fromhex(key)).token() != 0 else "111111")
    assert wrong.value.field == "otp_code"
    assert AccessAttempt.objects.get(username=owner.email).failures_since_start == 1
    code = f"{TOTP(bytes.fromhex(key)).token():06d}"
    signature = sign_staff(owner, plan, otp_code=code)
    assert signature.method == SignatureMethod.MFA


def test_a_closed_plan_is_not_signed(owner, plan, tree):
    from accounts.concurrency import RecordClosed

    plan_update(by=AuditContext(user=owner), plan=plan, status="discontinued", status_reason="Moved away")
    with pytest.raises(RecordClosed):
        sign_staff(owner, plan)


def test_after_an_amendment_the_clinician_signs_a_new_version_even_of_the_same_content(owner, practice, plan, tree):
    practice.require_client_signature = False
    practice.save(update_fields=["require_client_signature"])
    sign_staff(owner, plan)
    locked = TreatmentPlan.objects.get(pk=plan.pk)
    plan_signature_state_set(by=AuditContext(user=owner), plan=locked, status=status_after_amendment(locked))
    again = sign_staff(owner, plan)
    assert PlanVersion.objects.get(pk=again.version_id).number == 2
    assert status_of(plan) == (SignatureStatus.SIGNED, 2)


def test_signing_after_a_review_seals_the_plan_as_it_now_stands(owner, practice, plan, tree):
    """A review seals version 1 and then moves the plan's next review date, so the live plan differs from it:
    the clinician's signature seals version 2, and the client signs that same version."""
    from reviews.services.reviews import review_record

    review_record(by=AuditContext(user=owner), plan=plan, review_date=practice.today(), summary="On track.")
    signature = sign_staff(owner, plan)
    assert PlanVersion.objects.get(pk=signature.version_id).number == 2
    assert PlanVersion.objects.filter(plan=plan).count() == 2
    # Nothing changed since: the client signs that same version.
    client = sign_client(owner, plan)
    assert client.version_id == signature.version_id
