"""Who may write: the token's write scope, its creator's rollback permission, and HTTPS.

A value travels in a write request, so a plain-HTTP write is refused before anything is
stored. Loopback clients and DEBUG are the exceptions, for local development and tests.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework import status
from rest_framework.exceptions import APIException

from settings_app.request_context.client_address import client_ip

from ..models import ServiceToken

ROLLBACK_PERMISSION = "settings_app.rollback_setting"
INSECURE = (
    "Refused: this request carries a secret over plain HTTP. Send it to the https:// address "
    "(behind a TLS proxy, set SECURE_PROXY_SSL_HEADER and KEYVAULT_TRUSTED_PROXY_COUNT). "
    "Nothing was stored."
)


class InsecureTransport(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = INSECURE
    default_code = "insecure_transport"


class WriteForbidden(APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "write_forbidden"


def require_secure(request: HttpRequest) -> None:
    """InsecureTransport unless the request is HTTPS (directly or per the proxy settings),
    DEBUG is on, or the client is on this machine."""
    if request.is_secure() or settings.DEBUG or _is_loopback(client_ip(request)):
        return
    raise InsecureTransport()


def require_write_scope(token: ServiceToken, key: str) -> None:
    if not token.allows_write(key):
        raise WriteForbidden(
            f"This token may not write {key!r}: its write scope is "
            f"{', '.join(token.write_scope) or 'empty (read-only)'}. A key admin can issue a "
            "token with a write scope."
        )


def creator_may_restore(token: ServiceToken) -> bool:
    """Whether the token's creator holds the rollback permission now (checked per request, so
    a demoted creator's tokens lose it at once)."""
    user: Any = token.created_by
    return bool(user is not None and user.is_active and user.has_perm(ROLLBACK_PERMISSION))


def require_restore(token: ServiceToken, what: str) -> None:
    if not creator_may_restore(token):
        raise WriteForbidden(
            f"{what} needs a token created by someone who may restore versions (the key-admin "
            "role); this token's creator may not."
        )


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
