"""Which headers cross the gateway: caller credentials never go up, the key never comes back.

The caller's token may sit where any provider SDK puts its key (`Authorization: Bearer`,
`x-api-key`, `api-key`, `x-goog-api-key`); all four are removed before the request leaves, and
the provider's own auth header is added from the registry. Hop-by-hop headers (RFC 9110
section 7.6.1), cookies, `X-Forwarded-*` and the caller's `Host` are never forwarded.
"""

from __future__ import annotations

from collections.abc import Iterable

from settings_app.providers import Provider

Headers = list[tuple[bytes, bytes]]

CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key", b"api-key", b"x-goog-api-key"})
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Set by httpx (host, length) or by the gateway (encoding: identity, so usage can be read);
# x-goog-user-project would bill another project than the credential's.
_REPLACED = frozenset(
    {
        b"host",
        b"content-length",
        b"accept-encoding",
        b"cookie",
        b"forwarded",
        b"x-goog-user-project",
    }
)
# X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256: the gateway's signature sets its own.
_DROPPED_PREFIXES = (b"x-forwarded-", b"x-amz-")
_NOT_RETURNED = HOP_BY_HOP | {b"content-length"}


def presented_token(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's token from whichever of the four SDK styles it used ("" when none)."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return credentials.strip()
        elif name in CREDENTIAL_HEADERS:
            return value.decode("latin-1").strip()
    return ""


def caller_headers(headers: Headers) -> Headers:
    """The caller's headers that may go upstream (no credentials, hop-by-hop ones, cookies,
    `X-Forwarded-*`, `X-Amz-*` signing headers or Host), asking for an unencoded answer."""
    dropped = HOP_BY_HOP | CREDENTIAL_HEADERS | _REPLACED | _connection_tokens(headers)
    kept = [
        (name, value)
        for name, value in headers
        if name not in dropped and not name.startswith(_DROPPED_PREFIXES)
    ]
    kept.append((b"accept-encoding", b"identity"))
    return kept


def upstream_headers(headers: Headers, provider: Provider, key: str) -> Headers:
    """The caller's headers minus credentials and hop-by-hop ones, plus the provider's auth."""
    kept = caller_headers(headers)
    present = {name for name, _ in kept}
    auth = f"{provider.auth_scheme} {key}" if provider.auth_scheme else key
    kept.append((provider.auth_header.lower().encode("latin-1"), auth.encode("latin-1")))
    for name, value in provider.extra_headers:
        encoded = name.lower().encode("latin-1")
        if encoded not in present:  # anthropic-version: the caller's own wins
            kept.append((encoded, value.encode("latin-1")))
    return kept


def returned_headers(headers: Iterable[tuple[bytes, bytes]], *, rewritten: bool) -> Headers:
    """The provider's answer headers minus hop-by-hop ones; no length when the body changes."""
    dropped = _NOT_RETURNED if rewritten else HOP_BY_HOP
    return [(name.lower(), value) for name, value in headers if name.lower() not in dropped]


def _connection_tokens(headers: Headers) -> frozenset[bytes]:
    """Headers the caller named in `Connection` are hop-by-hop too (RFC 9110 7.6.1)."""
    named = b",".join(value for name, value in headers if name == b"connection")
    return frozenset(token.strip().lower() for token in named.split(b",") if token.strip())
