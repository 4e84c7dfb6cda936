"""Entra ID client-credentials token requests, for verification and for the gateway.

The client secret goes in the form body, never in a URL; the tenant comes from the stored
(routing) field, the host from `urls.azure_login_base()`.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from . import urls
from .http import Answer, exchange

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"


def token_url(fields: Mapping[str, str]) -> str:
    return f"{urls.azure_login_base()}/{fields['tenant_id']}/oauth2/v2.0/token"


def request_token(fields: Mapping[str, str], client: httpx.Client | None = None) -> Answer:
    """Entra ID's answer to a client-credentials request (Unreachable on transport trouble)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": fields["client_id"],
        "client_secret": fields["client_secret"],
        "scope": COGNITIVE_SCOPE,
    }
    return exchange("POST", token_url(fields), headers={}, data=form, client=client)
