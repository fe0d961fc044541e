"""Helpers of the MFA tests: codes computed from the secret, as an authenticator app does."""

from __future__ import annotations

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import AuditContext
from accounts.mfa.services import mfa_enrol, totp_key_new
from accounts.models import User

LOGIN_URL = "/accounts/login/"
CODE_URL = "/accounts/login/code/"
ENROL_URL = "/accounts/mfa/enrol/"
TOKEN_URL = "/api/v1/auth/token"


def code_for(key: str, ahead: int = 0) -> str:
    """The code an app shows for the hex `key` now, or `ahead` time steps (30 s) later.

    A code is accepted once per time step, so a test signing in twice uses the next step's code the second time
    (the server allows one step of clock skew either way).
    """
    return f"{totp(bytes.fromhex(key), drift=ahead):06d}"


def enrol(user: User) -> tuple[str, list[str]]:
    """Enrol `user` with a new secret, as create_staff --mfa-secret does; returns (hex key, recovery codes)."""
    key = totp_key_new()
    _device, codes = mfa_enrol(by=AuditContext.system("test"), user=user, key=key, code=None)
    return key, codes


def key_of(user: User) -> str:
    return TOTPDevice.objects.get(user=user).key
