"""The Content-Security-Policy header (django-csp), with a nonce in every response's policy."""

from __future__ import annotations

from csp.middleware import CSPMiddleware
from django.http import HttpRequest


class NonceCSPMiddleware(CSPMiddleware):
    """django-csp names the nonce in the header only when a template used it; ours names it always, so every
    page's policy has one (a page whose scripts all come from static files simply does not need it)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        str(request.csp_nonce)  # type: ignore[attr-defined]
