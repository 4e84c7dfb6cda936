"""What a provider's answer means: a status and a sentence, read from its code and body.

Only the provider's explicit refusal (401, or its own "not valid" answer) marks a key invalid;
the body is read for classification and never kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from ..constants import VerificationStatus
from .registry import Provider

Status = VerificationStatus


@dataclass(frozen=True)
class VerificationResult:
    """A verification outcome: a VerificationStatus value and a sentence safe to show and store."""

    status: str
    detail: str


# Answers whose meaning does not depend on the provider: code -> (status, reason).
_BY_CODE: dict[int, tuple[str, str]] = {
    401: (Status.INVALID, "the provider rejected the key."),
    402: (Status.NO_QUOTA, "the key works but its account has no quota or credit left."),
    403: (Status.RESTRICTED, "the key is valid but restricted (permission denied)."),
    429: (Status.UNREACHABLE, "rate limited by the provider; try again later."),
}


def classify(provider: Provider, status_code: int, body: bytes) -> VerificationResult:
    """Map a provider's answer to a status; the body is read for classification, never kept."""
    status, reason = _meaning(provider, status_code, body)
    return VerificationResult(status, f"HTTP {status_code}: {reason}")


def _meaning(provider: Provider, status_code: int, body: bytes) -> tuple[str, str]:
    if _says_invalid(provider, status_code, body):
        return Status.INVALID, "the provider says the key is invalid."
    if status_code == 429 and b"insufficient_quota" in body:
        return _BY_CODE[402]
    if status_code in _BY_CODE:
        return _BY_CODE[status_code]
    if 200 <= status_code < 300:
        return Status.VALID, "the provider accepted the key."
    if 300 <= status_code < 400:
        return Status.UNREACHABLE, (
            "the provider answered with a redirect, which is not followed (it could send the "
            "key to another host); check the provider's base URL."
        )
    if status_code >= 500:
        return Status.UNREACHABLE, "the provider had an error; try again later."
    return Status.UNREACHABLE, (
        "unexpected answer, so the key could not be checked; check the provider's base URL."
    )


def _json_field(body: bytes, name: str) -> object:
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer.get(name) if isinstance(answer, dict) else None


# Providers that refuse a key with something other than a 401: (provider slug, test on answer).
_EXPLICIT_INVALID: dict[str, Callable[[int, bytes], bool]] = {
    # POST /v1/check-api-key answers 200 {"valid": false} for a key it does not know.
    "cohere": lambda code, body: 200 <= code < 300 and _json_field(body, "valid") is False,
    # Google answers 400 with reason API_KEY_INVALID.
    "gemini": lambda code, body: code == 400 and b"API_KEY_INVALID" in body,
}


def _says_invalid(provider: Provider, status_code: int, body: bytes) -> bool:
    test = _EXPLICIT_INVALID.get(provider.slug)
    return test is not None and test(status_code, body)
