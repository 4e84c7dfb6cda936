"""Verifying a structured credential with its provider, spending no tokens."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from settings_app.constants import VerificationStatus as Status
from settings_app.providers import PROVIDERS
from settings_app.providers.classification import VerificationResult
from settings_app.providers.client import check_key

from .http import Unreachable
from .urls import UnsafeURLError
from .value import Credential
from .verify_azure import check_azure
from .verify_bedrock import check_bedrock
from .verify_vertex import check_vertex

Checker = Callable[[Mapping[str, str], httpx.Client | None], VerificationResult]
CHECKERS: dict[str, Checker] = {
    "azure_openai": check_azure,
    "bedrock": check_bedrock,
    "vertex_ai": check_vertex,
    "openai": lambda fields, client: check_key(
        PROVIDERS["openai"], fields["api_key"], client=client
    ),
}


def check_credential(
    credential: Credential, *, client: httpx.Client | None = None
) -> VerificationResult:
    """Ask the credential's provider whether it works; transport trouble is "unreachable"."""
    try:
        return CHECKERS[credential.provider](credential.fields, client)
    except Unreachable as unreachable:
        return unreachable.result()
    except UnsafeURLError as error:
        return VerificationResult(Status.INVALID, f"{error} Nothing was sent.")
