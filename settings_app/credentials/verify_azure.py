"""Azure OpenAI: list the resource's models with its key, or with an Entra ID token first."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

import httpx

from settings_app.constants import VerificationStatus as Status
from settings_app.providers.classification import VerificationResult

from . import urls
from .entra import request_token
from .http import exchange, generic
from .schema import AZURE_SUFFIXES

ENTRA_INVALID = {"invalid_client", "unauthorized_client", "invalid_request", "invalid_grant"}


def check_azure(fields: Mapping[str, str], client: httpx.Client | None) -> VerificationResult:
    """GET {endpoint}/openai/models?api-version=… with `api-key`, or a bearer token."""
    base = urls.azure_base(
        fields["resource_name"], fields.get("endpoint_suffix", AZURE_SUFFIXES[0])
    )
    url = f"{base}/openai/models?api-version={quote(fields['api_version'])}"
    if "api_key" in fields:
        answer = exchange("GET", url, headers={"api-key": fields["api_key"]}, client=client)
        return generic(answer, what="Azure OpenAI key")
    token = entra_token(fields, client)
    if isinstance(token, VerificationResult):
        return token
    answer = exchange("GET", url, headers={"Authorization": f"Bearer {token}"}, client=client)
    return generic(answer, what="Entra ID application")


def entra_token(fields: Mapping[str, str], client: httpx.Client | None) -> str | VerificationResult:
    """The client-credentials token, or why there is none (the secret never leaves in a URL)."""
    answer = request_token(fields, client)
    token = answer.json().get("access_token")
    if answer.status == 200 and isinstance(token, str):
        return token
    if answer.status in (400, 401) and answer.json().get("error") in ENTRA_INVALID:
        return VerificationResult(
            Status.INVALID,
            f"HTTP {answer.status}: Entra ID refused the tenant, client id or client secret.",
        )
    return generic(answer, what="Entra ID application")
