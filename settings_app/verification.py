"""Provider key verification: one cheap authenticated request per key, never a completion.

The request goes to the provider's fixed host from `providers.py`, or to the base URL set in
configuration (`KEYVAULT_<SLUG>_BASE_URL`), never to one taken from a request. Outcomes are
stored as a status, a short detail sentence and a time; never the response body or the key.

A transient failure (timeout, connection error, redirect, 5xx, rate limit, an answer we cannot
read) is stored as "unreachable", never as "invalid": only the provider's explicit refusal
(401, or its own "not valid" answer) marks a key invalid.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.db import transaction

from . import audit, decryption_failures
from .credentials.envelope import is_envelope
from .credentials.value import from_value
from .crypto import DecryptionError
from .models import AuditAction, Setting, VerificationStatus
from .providers import Provider, contradicting_prefix, get_provider
from .unreadable import readable

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 64 * 1024  # enough for any error answer; a larger body is not read further

Status = VerificationStatus


@dataclass(frozen=True)
class VerificationResult:
    """A verification outcome: a VerificationStatus value and a sentence safe to show and store."""

    status: str
    detail: str


@functools.cache
def get_client() -> httpx.Client:
    """The process-wide client, created on first use (connections are pooled across checks)."""
    # Redirects are never followed: a redirect could carry the key to another host.
    return httpx.Client(timeout=httpx.Timeout(TIMEOUT_SECONDS), follow_redirects=False)


def base_url(provider: Provider) -> str:
    """The provider's fixed base URL, unless configuration overrides it."""
    return getattr(settings, provider.base_url_setting, None) or provider.base_url


def auth_headers(provider: Provider, api_key: str) -> dict[str, str]:
    """The headers the provider expects: its auth header (with or without scheme) and extras."""
    value = f"{provider.auth_scheme} {api_key}" if provider.auth_scheme else api_key
    return {provider.auth_header: value, **dict(provider.extra_headers)}


def check_key(
    provider: Provider, api_key: str, *, client: httpx.Client | None = None
) -> VerificationResult:
    """Ask `provider` whether `api_key` works, with its cheapest authenticated request.

    A key whose prefix says it belongs to another provider is never sent (it would hand that
    provider's key to this provider's host).
    """
    contradiction = contradicting_prefix(provider.slug, api_key)
    if contradiction is not None:
        return VerificationResult(
            Status.INVALID,
            f"The key starts with '{contradiction.prefix}' like {contradiction.owner_names} "
            f"keys, not like {provider.name} keys, so it was not sent. Check the provider, or "
            "paste the right key.",
        )
    if not _sendable(api_key):
        return VerificationResult(
            Status.INVALID,
            "The key is empty or contains spaces or non-ASCII characters, so no provider "
            "would accept it; nothing was sent.",
        )
    url = base_url(provider).rstrip("/") + provider.verify_path
    try:
        status_code, body = _send(client or get_client(), provider, url, api_key)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        # httpx messages may quote the URL or headers: only fixed sentences leave this module.
        return VerificationResult(Status.UNREACHABLE, _transport_detail(error, provider, url))
    return classify(provider, status_code, body)


def verify_setting(setting: Setting, *, client: httpx.Client | None = None) -> VerificationResult:
    """Verify setting.value with its provider and record it via setting.record_verification().

    A setting whose provider is not in the registry ("other") is recorded as unverified. An
    "unreachable" outcome replaces the previous status (the time says when it was tried) and
    its detail names the previous result, so an outage is visible without losing history.
    A value that cannot be decrypted raises its DecryptionError: nothing is sent or recorded.
    """
    api_key = readable(setting.value)
    provider = get_provider(setting.provider)
    if is_envelope(api_key):
        # Imported here: the credentials package builds on this module's results and client.
        from .credentials.verifiers import check_credential

        result = check_credential(from_value(setting.provider, setting.key, api_key), client=client)
    elif provider is None:
        result = VerificationResult(
            Status.UNVERIFIED,
            f"The provider '{setting.provider}' is unknown to keyvault, so this key cannot be "
            "verified.",
        )
    else:
        result = check_key(provider, api_key, client=client)
    result = _with_previous(result, setting.verification_status)
    with transaction.atomic():  # the stored outcome and its event commit together, or neither
        setting.record_verification(result.status, result.detail)
        audit.record_as_current_actor(
            AuditAction.VERIFIED, setting_key=setting.key, status=result.status
        )
    logger.info("Verified setting %r (%s): %s", setting.key, setting.provider, result.status)
    return result


@dataclass(frozen=True)
class VerificationRun:
    """What `verify_all` did: each readable setting with its outcome, and the settings whose
    value cannot be decrypted, with why (nothing was sent for those)."""

    verified: list[tuple[Setting, VerificationResult]]
    unreadable: list[tuple[Setting, DecryptionError]]


def verify_all(
    settings: Iterable[Setting], *, client: httpx.Client | None = None
) -> VerificationRun:
    """Verify every readable setting; one that cannot be decrypted is audited (once) and set
    aside, so it never stops the others."""
    run = VerificationRun([], [])
    for setting in settings:
        try:
            run.verified.append((setting, verify_setting(setting, client=client)))
        except DecryptionError as error:
            run.unreadable.append((setting, error))
    decryption_failures.record_once([s for s, _ in run.unreadable], during="verify_settings")
    return run


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


def _sendable(api_key: str) -> bool:
    # A newline or non-ASCII character would make httpx/h11 raise with the header in the message.
    return bool(api_key) and api_key.isascii() and api_key.isprintable() and " " not in api_key


def _send(client: httpx.Client, provider: Provider, url: str, api_key: str) -> tuple[int, bytes]:
    """Status code and (at most MAX_BODY_BYTES of) body; redirects are never followed."""
    headers = auth_headers(provider, api_key)
    with client.stream(
        provider.verify_method, url, headers=headers, follow_redirects=False
    ) as response:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= MAX_BODY_BYTES:
                break
    return response.status_code, body[:MAX_BODY_BYTES]


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


def _transport_detail(error: Exception, provider: Provider, url: str) -> str:
    """A fixed sentence per failure class; never the exception's own message."""
    try:
        host = httpx.URL(url).host or provider.base_url_setting
    except httpx.InvalidURL:
        host = ""
    if isinstance(error, httpx.TimeoutException):
        return f"No answer from {host} within {TIMEOUT_SECONDS:g} s; try again later."
    if isinstance(error, httpx.ConnectError):
        return f"Could not connect to {host}; try again later."
    if isinstance(error, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return (
            f"The base URL configured for {provider.name} is not a valid http(s) URL; check "
            f"{provider.base_url_setting}."
        )
    return f"The request to {host} failed ({type(error).__name__}); try again later."


_PREVIOUS_WORTH_NAMING = {Status.VALID, Status.RESTRICTED, Status.INVALID, Status.NO_QUOTA}


def _with_previous(result: VerificationResult, previous: str) -> VerificationResult:
    if result.status != Status.UNREACHABLE or previous not in _PREVIOUS_WORTH_NAMING:
        return result
    label = Status(previous).label
    return VerificationResult(result.status, f"{result.detail} Previously: {label}.")
