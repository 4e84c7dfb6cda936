"""Who may call the API: a valid service token (authentication.py), from an allowed network."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from settings_app.request_context.client_address import client_ip

from .models import ServiceToken


class HasServiceToken(BasePermission):
    """The request was authenticated by a service token (the default for every API view)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ServiceToken)


class FromAllowedNetwork(BasePermission):
    """The client's address (after KEYVAULT_TRUSTED_PROXY_COUNT) is in the token's networks."""

    message = "This token may not be used from your network address."

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        return isinstance(token, ServiceToken) and token.allows_address(client_ip(request._request))
