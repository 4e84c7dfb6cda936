"""The provider HTTP client: one cheap authenticated request per key, never a completion.

The request goes to the provider's fixed host from the registry, or to the base URL set in
configuration (`KEYVAULT_<SLUG>_BASE_URL`), never to one taken from a request. A transient
failure (timeout, connection error, redirect) is "unreachable", never "invalid".
"""

from __future__ import annotations

import functools

import httpx
from django.conf import settings

from .classification import Status, VerificationResult, classify
from .registry import Provider, contradicting_prefix

TIMEOUT_SECONDS = 10.0
MAX_BODY_BYTES = 64 * 1024  # enough for any error answer; a larger body is not read further


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
