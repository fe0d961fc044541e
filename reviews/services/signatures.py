"""Signing a plan: a signature binds one sealed `PlanVersion`, by the SHA-256 of its canonical JSON.

The lifecycle (README "Signed plans"):

- The clinician signs first, re-entering their password (and their authenticator code when they have one).
  Signing seals a new version when the plan changed since its latest version (`version_seal`, the path a
  review takes) and signs the latest version when nothing did, so a review's version can be signed as is.
- The client (or a guardian) signs that same version, on the clinician's tablet, with the clinician as the
  one who records it; `declined` / `unable` with a reason satisfy the client signature.
- The supervisor of a clinician flagged `needs_supervision` co-signs that same version.
- Client and supervisor may sign in either order once the clinician has; the status names the client first.
  Neither may sign a version the clinician has not signed (409), and no role signs one version twice (409).

Where the plan stands is computed by `signature_status_compute` and written on the plan by treatment's
`plan_signature_state_set`; nothing else writes it, except the amendment rule (`status_after_amendment`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from collections.abc import Collection
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from accounts.access import can
from accounts.audit import Action, AuditContext, Channel, audit_record, diff, snapshot
from accounts.mfa.services import mfa_enrolled, mfa_verify
from accounts.models import User
from reviews.models import (
    CLIENT_SIGNATURE_METHODS,
    CLIENT_SIGNATURE_ROLES,
    REASON_METHODS,
    PlanSignature,
    PlanVersion,
    ReminderKind,
    ReviewReminder,
    SignatureMethod,
    SignatureRole,
)
from reviews.services.signature_reminders import unsigned_reminders_settle
from reviews.services.versions import version_seal
from reviews.snapshots import plan_snapshot
from treatment.models import SignatureStatus, TreatmentPlan
from treatment.services.common import is_clinician, lock_plan, require_open
from treatment.services.signature_state import plan_signature_state_set

#: The largest drawn signature accepted (decoded PNG bytes): a pad's stroke image is a few kilobytes.
IMAGE_MAX_BYTES = 200_000
IMAGE_MAX_SIDE = 4000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_DATA_URL = "data:image/png;base64,"
#: Where a plan stands when its latest clinician signature no longer counts (it was amended since).
UNSIGNED_STATUSES = (SignatureStatus.UNSIGNED, SignatureStatus.AMENDED_UNSIGNED)
SIGNATURE_FIELDS = ("version", "role", "signer", "signer_name", "relationship", "method", "reason", "content_hash")

#: The statement of intent each signer is shown, stored with the signature (ESIGN/UETA: intent to sign).
_E_SIGN = "I understand that this electronic signature is as binding as my signature on paper."
INTENT_STATEMENTS: dict[tuple[str, str], str] = {
    (SignatureRole.CLINICIAN, "staff"): (
        "I have reviewed this treatment plan and I sign it, by re-entering my password, as the clinician "
        "responsible for it. " + _E_SIGN
    ),
    (SignatureRole.SUPERVISOR, "staff"): (
        "I have reviewed this treatment plan as the clinical supervisor of the clinician who wrote it, and I "
        "co-sign it by re-entering my password. " + _E_SIGN
    ),
    (SignatureRole.CLIENT, "signs"): (
        "I have read this treatment plan, or had it read or explained to me, and I agree to it. " + _E_SIGN
    ),
    (SignatureRole.GUARDIAN, "signs"): (
        "I am the client's parent or legal guardian. I have read this treatment plan, or had it read or "
        "explained to me, and I agree to it on the client's behalf. " + _E_SIGN
    ),
    (SignatureRole.CLIENT, SignatureMethod.DECLINED): (
        "The client was offered this treatment plan to read and sign and declined to sign it. The clinician "
        "records the reason."
    ),
    (SignatureRole.GUARDIAN, SignatureMethod.DECLINED): (
        "The client's guardian was offered this treatment plan to read and sign and declined to sign it. The "
        "clinician records the reason."
    ),
    (SignatureRole.CLIENT, SignatureMethod.UNABLE): (
        "The client was unable to sign this treatment plan. The clinician records the reason."
    ),
    (SignatureRole.GUARDIAN, SignatureMethod.UNABLE): (
        "The client's guardian was unable to sign this treatment plan. The clinician records the reason."
    ),
}


class SigningConflict(Exception):
    """The plan's signatures refuse this one (nothing new to sign, or the clinician has not signed yet): 409."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WrongCredentials(PermissionDenied):
    """The password or the authenticator code re-entered to sign was wrong (or the account is locked): 403."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.message = message
        #: Which input was wrong ("password" or "otp_code"), for a page to show the message beside it.
        self.field = field


# --- the content and its hash ---------------------------------------------------------------------------


def canonical_json(state: Any) -> bytes:
    """A version's snapshot as canonical JSON: keys sorted, no whitespace, UTF-8 (not \\u-escaped)."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def content_hash(state: Any) -> str:
    """The SHA-256 (hex) of a snapshot's canonical JSON: what a signature says it signed."""
    return hashlib.sha256(canonical_json(state)).hexdigest()


def _content(state: dict) -> dict:
    """A snapshot without the version number it was sealed at, to ask whether the plan changed since."""
    plan = {key: value for key, value in state.get("plan", {}).items() if key != "version"}
    return {**state, "plan": plan}


def intent_statement(role: str, method: str | None = None) -> str:
    """The statement a signer in `role` is shown (and that is stored with the signature)."""
    if role not in CLIENT_SIGNATURE_ROLES:
        return INTENT_STATEMENTS[(role, "staff")]
    return INTENT_STATEMENTS[(role, method if method in REASON_METHODS else "signs")]


# --- where a plan stands --------------------------------------------------------------------------------


def client_signature_required(plan: TreatmentPlan) -> bool:
    return bool(plan.patient.practice.require_client_signature)


def supervisor_signature_required(plan: TreatmentPlan) -> bool:
    return bool(plan.therapist.needs_supervision)


def signature_status_compute(
    *, plan: TreatmentPlan, version_number: int | None, roles: Collection[str]
) -> tuple[str, int | None]:
    """(status, signed version) of `plan` given the roles that signed its latest version `version_number`.

    No clinician signature: `unsigned`, or `amended_unsigned` when an earlier version was fully signed (it
    stays in force). Then the client's signature when the practice asks for it (a guardian's, or a
    declined/unable with reason, counts), then the supervisor's when the plan's clinician needs supervision.
    With all of them the version is `signed` and becomes the plan in force.
    """
    if version_number is None or SignatureRole.CLINICIAN not in roles:
        unsigned = SignatureStatus.AMENDED_UNSIGNED if plan.signed_version is not None else SignatureStatus.UNSIGNED
        return unsigned, plan.signed_version
    if client_signature_required(plan) and not set(roles) & set(CLIENT_SIGNATURE_ROLES):
        return SignatureStatus.AWAITING_CLIENT, plan.signed_version
    if supervisor_signature_required(plan) and SignatureRole.SUPERVISOR not in roles:
        return SignatureStatus.AWAITING_SUPERVISOR, plan.signed_version
    return SignatureStatus.SIGNED, version_number


def latest_version(plan: TreatmentPlan) -> PlanVersion | None:
    return PlanVersion.objects.filter(plan_id=plan.pk).order_by("-number").first()


def version_roles(version: PlanVersion) -> set[str]:
    return set(PlanSignature.objects.filter(version_id=version.pk).values_list("role", flat=True))


# --- checking the inputs --------------------------------------------------------------------------------


def image_from_data_url(value: str) -> bytes:
    """The PNG bytes of a `data:image/png;base64,...` URL, checked to be a PNG of sane size; else a field error.

    PNG only: an SVG can carry script and outside references, a PNG is inert pixels whatever it contains.
    """
    text = (value or "").strip()
    if not text.startswith(PNG_DATA_URL):
        raise ValidationError({"image": "Give the drawn signature as a PNG data URL (data:image/png;base64,...)."})
    encoded = text[len(PNG_DATA_URL) :]
    if len(encoded) > IMAGE_MAX_BYTES * 4 // 3 + 4:
        raise ValidationError({"image": f"The drawn signature is too large (at most {IMAGE_MAX_BYTES // 1000} kB)."})
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"image": "The drawn signature is not valid base64."}) from None
    if len(data) > IMAGE_MAX_BYTES:
        raise ValidationError({"image": f"The drawn signature is too large (at most {IMAGE_MAX_BYTES // 1000} kB)."})
    # The PNG signature, then the IHDR chunk first (length 13) with the width and height.
    if len(data) < 33 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValidationError({"image": "The drawn signature is not a PNG image."})
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= IMAGE_MAX_SIDE and 0 < height <= IMAGE_MAX_SIDE):
        raise ValidationError({"image": f"The drawn signature must be at most {IMAGE_MAX_SIDE} pixels a side."})
    return data


def _client_fields(
    *, role: str, method: str | None, signer_name: str, relationship: str, image: str | None, reason: str
) -> tuple[str, str, bytes | None, str]:
    """The checked (signer name, relationship, image bytes, reason) of a client's or guardian's signature."""
    errors: dict[str, str] = {}
    signer_name = (signer_name or "").strip()
    relationship = (relationship or "").strip()
    reason = (reason or "").strip()
    if method not in CLIENT_SIGNATURE_METHODS:
        errors["method"] = "Choose how the client signs: drawn, typed, declined or unable."
    if not signer_name:
        errors["signer_name"] = "Give the signer's printed name."
    elif len(signer_name) > 200:
        errors["signer_name"] = "At most 200 characters."
    if role == SignatureRole.GUARDIAN and not relationship:
        errors["relationship"] = "Say how the guardian is related to the client."
    elif len(relationship) > 100:
        errors["relationship"] = "At most 100 characters."
    if method in REASON_METHODS and not reason:
        errors["reason"] = "Say why the client did not sign."
    elif method not in REASON_METHODS and reason:
        errors["reason"] = "A reason is recorded only when the client declined or was unable to sign."
    elif len(reason) > 2000:
        errors["reason"] = "At most 2000 characters."
    data: bytes | None = None
    if method == SignatureMethod.DRAWN:
        if not image:
            errors["image"] = "Draw the signature."
        else:
            try:
                data = image_from_data_url(image)
            except ValidationError as error:
                errors.update({k: v[0] for k, v in error.message_dict.items()})
    elif image:
        errors["image"] = "An image comes only with a drawn signature."
    if "\x00" in signer_name + relationship + reason:
        errors["signer_name"] = "Null characters are not allowed."
    if errors:
        raise ValidationError(errors)
    return signer_name, relationship, data, reason


def may_sign(user: User, plan: TreatmentPlan, role: str) -> None:
    """Who signs in which role: the care team as clinician (and as the one recording a client's signature), only
    the clinical supervisor of the plan's clinician as supervisor. PermissionDenied (403) otherwise."""
    if role == SignatureRole.SUPERVISOR:
        if plan.therapist.supervisor_id != user.pk:
            raise PermissionDenied("Only the clinical supervisor of the plan's clinician co-signs it.")
        return
    if not (is_clinician(user) and can(user, "change", plan.patient)):
        if role == SignatureRole.CLINICIAN:
            raise PermissionDenied("A plan is signed as clinician by a clinician of the patient's care team.")
        raise PermissionDenied("A client's signature is recorded by a clinician of the patient's care team.")


def reauthenticate(
    user: User, *, password: str | None, otp_code: str | None, request: HttpRequest | Request | None
) -> str:
    """Check the password (and the authenticator code when the user has one); returns the signing method.

    Asked of django-axes first (a locked account gets no answer about its password) and told of each wrong
    password or code through `user_login_failed`, the path a wrong sign-in takes: both count toward the
    same lockout. Runs outside the signing transaction, so a refusal's count is not rolled back with it.
    Without a request (a management command on the server, `seed_demo`) there is no caller address to count
    against: the password and code are still checked.
    """
    if not password:
        raise ValidationError({"password": "Re-enter your password to sign."})
    enrolled = mfa_enrolled(user)
    if enrolled and not (otp_code or "").strip():
        raise ValidationError({"otp_code": "Enter the code your authenticator app shows to sign."})
    raw = request._request if isinstance(request, Request) else request
    credentials = {"username": user.email}
    if raw is not None and not AxesProxyHandler.is_allowed(raw, credentials):
        raise WrongCredentials("Too many failed attempts: your account is locked for now.", field="password")
    if not user.check_password(password):
        if raw is not None:
            user_login_failed.send(sender=__name__, credentials=credentials, request=raw)
        raise WrongCredentials("That password is not right.", field="password")
    if enrolled:
        if mfa_verify(user=user, code=otp_code or "") is None:
            if raw is not None:
                user_login_failed.send(sender=__name__, credentials=credentials, request=raw)
            raise WrongCredentials("That code does not match: enter the code your app shows now.", field="otp_code")
        return SignatureMethod.MFA
    return SignatureMethod.PASSWORD


# --- the service ----------------------------------------------------------------------------------------


def plan_sign(
    *,
    by: AuditContext,
    plan: TreatmentPlan,
    role: str,
    request: HttpRequest | Request | None = None,
    password: str | None = None,
    otp_code: str | None = None,
    method: str | None = None,
    signer_name: str = "",
    relationship: str = "",
    image: str | None = None,
    reason: str = "",
) -> PlanSignature:
    """Sign `plan` in `role` (the one service the API, the pages and the admin call), returning the signature.

    Staff (`clinician`, `supervisor`) re-enter `password` (and `otp_code` when enrolled in MFA); `request` is
    the request they signed in, which the lockout counts wrong attempts against (only a system context, a
    management command, signs without one). A `client` or `guardian`
    signature is recorded by the care-team clinician `by.user` with `method`, `signer_name`, `relationship`
    (a guardian's), `image` (a PNG data URL, for `drawn`) and `reason` (for `declined` / `unable`).

    Raises ValidationError (400, naming the fields), PermissionDenied (403; `WrongCredentials` for a wrong
    password or code, counted), RecordClosed or SigningConflict (409).
    """
    user = by.user
    if user is None:
        raise PermissionDenied("A plan is signed by a person, not by the system.")
    if role not in SignatureRole.values:
        raise ValidationError({"role": "Choose clinician, client, guardian or supervisor."})
    may_sign(user, plan, role)
    staff = role not in CLIENT_SIGNATURE_ROLES
    if staff:
        if method not in (None, "", SignatureMethod.PASSWORD, SignatureMethod.MFA):
            raise ValidationError({"method": "Staff sign by re-entering their password."})
        if request is None and by.channel != Channel.SYSTEM:
            raise ValueError("A staff signature needs the request, which the lockout counts attempts against.")
        signed_method = reauthenticate(user, password=password, otp_code=otp_code, request=request)
        signer_name = str(user)
        signer_license = user.license_number
        relationship, data, reason = "", None, ""
    else:
        signer_name, relationship, data, reason = _client_fields(
            role=role, method=method, signer_name=signer_name, relationship=relationship, image=image, reason=reason
        )
        signed_method, signer_license = str(method), ""
    with transaction.atomic():
        return _sign_locked(
            by=by,
            recorded_by=user,
            plan_id=plan.pk,
            role=role,
            signer=user if staff else None,
            method=signed_method,
            signer_name=signer_name,
            signer_license=signer_license,
            relationship=relationship,
            image=data,
            reason=reason,
        )


def version_to_sign(plan: TreatmentPlan, role: str) -> tuple[PlanVersion | None, dict | None, set[str]]:
    """What a signature in `role` binds: the plan's latest sealed version, the snapshot a clinician's signature
    seals as a new version (else None), and the roles that have signed the version it binds so far.

    A clinician's signature seals a new version when the plan changed since the latest, or when an amendment set
    the plan back to unsigned after the clinician signed the latest (whatever it touched is signed anew); every
    other signature goes on the latest version (the one the clinician signed). The sign service and the signing
    pages ask this one question.
    """
    latest = latest_version(plan)
    roles = version_roles(latest) if latest is not None else set()
    if role == SignatureRole.CLINICIAN:
        current = plan_snapshot(plan)
        amended = SignatureRole.CLINICIAN in roles and plan.signature_status in UNSIGNED_STATUSES
        if latest is None or amended or _content(latest.snapshot) != _content(current):
            return latest, current, set()
    return latest, None, roles


def _sign_locked(
    *,
    by: AuditContext,
    recorded_by: User,
    plan_id: Any,
    role: str,
    signer: User | None,
    method: str,
    signer_name: str,
    signer_license: str,
    relationship: str,
    image: bytes | None,
    reason: str,
) -> PlanSignature:
    """The write, under the plan's lock; every row lock (plan, reminders) comes before the first audit event."""
    plan = lock_plan(plan_id)
    require_open(plan)
    latest, state, roles = version_to_sign(plan, role)
    if role != SignatureRole.CLINICIAN and latest is None:
        raise SigningConflict("The clinician signs the plan first; there is no signed version to add this to.")
    if role in roles:
        raise SigningConflict(
            f"This version already has a {SignatureRole(role).label.lower()} signature and nothing has changed since."
        )
    if role != SignatureRole.CLINICIAN and SignatureRole.CLINICIAN not in roles:
        raise SigningConflict("The clinician signs this version of the plan first.")
    number = plan.version if state is not None or latest is None else latest.number
    status, signed_version = signature_status_compute(plan=plan, version_number=number, roles=roles | {role})
    now = timezone.now()
    if status == SignatureStatus.SIGNED:
        _settle_unsigned_reminders(plan, now)

    if state is not None:
        version = version_seal(by=by, plan=plan, state=state)
        before = snapshot(plan, ("version",))
        plan.version = version.number + 1
        plan.save(update_fields=["version", "updated_at"])
        audit_record(by, Action.UPDATE, plan, changes=diff(before, snapshot(plan, ("version",))))
    else:
        assert latest is not None  # only a clinician seals, and a clinician with no version always does
        version = latest
    signature = PlanSignature.objects.create(
        version=version,
        plan=plan,
        role=role,
        signer=signer,
        recorded_by=recorded_by,
        signer_name=signer_name,
        signer_license=signer_license,
        relationship=relationship,
        method=method,
        reason=reason,
        intent_statement=intent_statement(role, method),
        image=image,
        content_hash=content_hash(version.snapshot),
        signed_at=now,
    )
    plan_signature_state_set(
        by=by,
        plan=plan,
        status=status,
        signed_version=signed_version,
        first_signed_at=now if role == SignatureRole.CLINICIAN else None,
    )
    fields = snapshot(signature, SIGNATURE_FIELDS)
    fields["version"] = version.number
    audit_record(by, Action.CREATE, signature, patient=plan.patient, changes=diff({}, fields))
    # A version already printed (signed without a co-signature it then got) is printed again with it. Imported
    # here: the documents module reads the signing rules from this one.
    from reviews.services.documents import documents_rerender

    documents_rerender(by=by, version=version)
    return signature


def _settle_unsigned_reminders(plan: TreatmentPlan, now: Any) -> None:
    """A fully signed plan answers the reminders that it was unsigned, and the notifications they sent."""
    open_reminders = ReviewReminder.objects.filter(plan=plan, kind=ReminderKind.UNSIGNED, resolved_at__isnull=True)
    unsigned_reminders_settle(list(open_reminders.values_list("pk", flat=True)), now)
