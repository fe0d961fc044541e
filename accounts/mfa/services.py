"""Enrolling, verifying and resetting a user's second factor; every change writes an audit event."""

from __future__ import annotations

import base64
import binascii
import secrets
import time

import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.audit import Action, AuditContext, audit_record
from accounts.models import RecoveryCode, RecoveryCodeDevice, User, recovery_code_digest

RECOVERY_CODE_COUNT = 10
#: A TOTP secret of 20 bytes (160 bits), as RFC 4226 recommends; kept hex-encoded, as django-otp stores it.
TOTP_KEY_BYTES = 20
NOT_MATCHING = "That code does not match: enter the 6 digits your authenticator app shows now."


def mfa_enrolled(user: User) -> bool:
    """Whether the user has a confirmed authenticator app (recovery codes come with it)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def mfa_required_for(user: User) -> bool:
    """Whether the user's practice asks every member of staff for a second factor."""
    return user.practice is not None and user.practice.mfa_required


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(device__user=user).count()


def totp_key_new() -> str:
    return str(random_hex(TOTP_KEY_BYTES))


def totp_key_from_base32(secret: str) -> str:
    """The hex key of a base32 secret as authenticator apps show it (spaces, case and padding forgiven)."""
    text = "".join(secret.split()).upper().rstrip("=")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise ValidationError("The secret is not base32 (letters A-Z and digits 2-7).") from None
    if len(raw) < 10:
        raise ValidationError("The secret is too short: give at least 16 base32 characters (80 bits).")
    if len(raw) > 40:
        raise ValidationError("The secret is too long: at most 64 base32 characters (40 bytes).")
    return raw.hex()


def totp_secret_text(key: str) -> str:
    """The key as an authenticator app asks for it when typed: base32 in groups of four."""
    text = base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_svg(user: User, key: str) -> str:
    """The otpauth:// URL of the key as an inline SVG QR code, drawn here (no outside service sees the secret)."""
    url = TOTPDevice(user=user, key=key).config_url
    return str(segno.make(url, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff", omitsize=True))


def _totp_step(key: str, code: str) -> int | None:
    """The time step the code belongs to (one step of clock skew either way), or None when it does not match."""
    digits = "".join(code.split())
    if not digits.isdigit() or len(digits) != 6:
        return None
    totp = TOTP(bytes.fromhex(key))
    totp.time = time.time()
    if not totp.verify(int(digits), tolerance=1):
        return None
    return int(totp.t())


@transaction.atomic
def mfa_enrol(*, by: AuditContext, user: User, key: str, code: str | None) -> tuple[TOTPDevice, list[str]]:
    """Confirm an authenticator app for `user` and give them fresh recovery codes (returned: they are shown once).

    `code` is what the app shows now, proving it holds `key`; None only from a management command that was
    handed the secret (create_staff --mfa-secret). A user already enrolled is refused: an admin resets first.
    """
    # FOR NO KEY UPDATE: it serialises two enrolments of one user without blocking the KEY SHARE an audit
    # event's foreign key takes on this row (which would deadlock with an audited write naming the user).
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
    if mfa_enrolled(user):
        raise ValidationError("Two-step sign-in is already set up for this account; a practice admin can reset it.")
    last_t = -1
    if code is not None:
        step = _totp_step(key, code)
        if step is None:
            raise ValidationError({"code": NOT_MATCHING})
        # The code that confirmed the app cannot be replayed as the next sign-in's.
        last_t = step
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, key=key, name="Authenticator app", confirmed=True, last_t=last_t)
    codes = _recovery_codes_new(user)
    audit_record(by, Action.UPDATE, user, changes={"mfa": [False, True]})
    return device, codes


def _recovery_codes_new(user: User) -> list[str]:
    RecoveryCodeDevice.objects.filter(user=user).delete()
    device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    # 16 base32 characters: 80 random bits each, shown as four groups of four.
    codes = [base64.b32encode(secrets.token_bytes(10)).decode().lower() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create([RecoveryCode(device=device, digest=recovery_code_digest(c)) for c in codes])
    return ["-".join(c[i : i + 4] for i in range(0, 16, 4)) for c in codes]


@transaction.atomic
def mfa_reset(*, by: AuditContext, user: User) -> bool:
    """Remove `user`'s authenticator app and recovery codes (a lost phone); they enrol again at next sign-in.

    Only a practice admin of the user's practice, a superuser or a system task may. Returns whether there
    was anything to remove (nothing removed writes no event).
    """
    actor = by.user
    if actor is not None and not actor.acts_for_practice(user.practice_id):
        raise PermissionDenied("Only a practice admin of this person's practice can reset their two-step sign-in.")
    had = mfa_enrolled(user)
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
    if had:
        audit_record(by, Action.UPDATE, user, changes={"mfa": [True, False]})
    return had


def mfa_verify(*, user: User, code: str) -> Device | None:
    """The device (authenticator app or recovery codes) that accepts `code` for `user`, or None.

    A recovery code is spent by accepting it; a TOTP code cannot be accepted twice (django-otp keeps the last
    time step used). Counting wrong codes toward the lockout is the caller's (accounts.mfa.login).
    """
    code = "".join(code.split())
    if not code:
        return None
    with transaction.atomic():
        # Locked rows: two requests with the same code cannot both pass.
        for device in devices_for_user(user, for_verify=True):
            if device.verify_token(code):
                return device
    return None
