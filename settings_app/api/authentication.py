"""`Authorization: Bearer kvt_...` for the API: one opaque 401 for every way a token is bad.

A missing, malformed, unknown, expired or revoked token gets the same body and header, so the
answer never tells an attacker which it was. Malformed tokens (wrong shape or checksum) are
refused before any database query; known ones come from the per-process token cache
(`lookups/tokens.py`), at most one query a second per token and worker.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from ..logs import context as request_context
from ..lookups import tokens as token_lookup
from .models import ServiceToken

SCHEME = "Bearer"
INVALID = "A valid service token is required: send Authorization: Bearer kvt_..."
CHALLENGE = f'{SCHEME} realm="keyvault"'


class ServiceTokenAuthentication(BaseAuthentication):
    """Authenticates a request as the active ServiceToken it presents (request.auth)."""

    def authenticate(self, request: Request) -> tuple[None, ServiceToken]:
        token = token_lookup.active_token(_presented_token(request))
        if token is None:
            raise AuthenticationFailed(INVALID)
        request_context.set_token_name(token.name)  # the name only: log lines carry it
        return None, token

    def authenticate_header(self, request: Request) -> str:
        return CHALLENGE


def _presented_token(request: Request) -> str:
    scheme, _, credentials = str(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
    if scheme.lower() != SCHEME.lower():
        return ""
    return credentials.strip()
