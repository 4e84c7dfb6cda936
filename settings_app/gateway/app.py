"""The gateway as a plain ASGI app: `/gateway/<setting key>/<provider path>`, on the event loop.

Everything before the upstream call (token, network, scope, key, limit) is answered from
in-process caches, with a thread trip only on a cache miss; no Django middleware runs here.
Every refusal answers before anything is sent upstream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from time import perf_counter
from typing import Any

import httpx
from django.conf import settings

from settings_app.api.models import ServiceToken
from settings_app.client_address import address_from
from settings_app.crypto import DecryptionError
from settings_app.providers import Provider, get_provider
from settings_app.providers.client import base_url

from . import answers, forwarding, limits, lookups, requests, routing
from .metering import Meter
from .recording import recorder
from .relay import relay
from .upstream import Exchange, timeout
from .usage import family_for

Receive = Callable[[], Awaitable[dict[str, Any]]]
Scope = dict[str, Any]
DEFAULT_MAX_BODY = 32 * 1024 * 1024
CACHED_URL_LENGTH = 512


class BodyTooLarge(Exception):
    pass


class CallerGone(Exception):
    pass


async def gateway(scope: Scope, receive: Receive, send: answers.Send) -> None:
    """Serve one gateway request: refuse it, or relay it to the setting's provider."""
    started = perf_counter()
    if settings.SECURE_SSL_REDIRECT and not is_secure(scope):
        return await answers.refuse(send, 403, answers.HTTPS_ONLY)
    try:
        route = routing.route(scope)
    except routing.BadPath as error:
        return await answers.refuse(send, 400, str(error))
    token = await lookups.active_token(forwarding.presented_token(scope["headers"]))
    if token is None:
        return await answers.refuse(send, 401, answers.UNAUTHORIZED)
    address = scope_client_ip(scope)
    if not token.allows_address(address):
        return await answers.refuse(send, 403, answers.FORBIDDEN)
    try:
        target = await _target(token, route)
    except DecryptionError:  # audited once by get_value; the answer names no value
        return await answers.refuse(send, 500, answers.UNDECRYPTABLE)
    if route is None or target is None:
        return await answers.refuse(send, 404, answers.NOT_FOUND)
    await _call(scope, receive, send, token, route, target, address, started)


async def _target(
    token: ServiceToken, route: routing.Route | None
) -> tuple[Provider, lookups.ProviderKey] | None:
    if route is None or not token.allows_gateway(route.setting_key):
        return None
    found = await lookups.provider_key(route.setting_key)
    provider = get_provider(found.provider_slug) if found is not None else None
    return None if provider is None or found is None else (provider, found)


async def _call(
    scope: Scope,
    receive: Receive,
    send: answers.Send,
    token: ServiceToken,
    route: routing.Route,
    target: tuple[Provider, lookups.ProviderKey],
    address: str,
    started: float,
) -> None:
    wait = await limits.retry_after(token)
    if wait is not None:
        message = answers.LIMITED.format(limit=token.daily_token_limit)
        return await answers.refuse(send, 429, message, [(b"retry-after", str(wait).encode())])
    try:
        body = await read_body(scope, receive)
    except BodyTooLarge:
        return await answers.refuse(send, 413, answers.TOO_LARGE.format(limit=max_body()))
    except CallerGone:
        return None
    provider, found = target
    exchange = _start(scope, token, route, provider, found, body, address)
    await relay(exchange, receive, send, kv_ms=(perf_counter() - started) * 1000)


def _start(
    scope: Scope,
    token: ServiceToken,
    route: routing.Route,
    provider: Provider,
    found: lookups.ProviderKey,
    body: bytes,
    address: str,
) -> Exchange:
    family = family_for(provider.slug)
    prepared = requests.prepare(provider.slug, family, route.raw_path, body)
    request = httpx.Request(
        scope["method"],
        upstream_url(provider, route),
        headers=forwarding.upstream_headers(scope["headers"], provider, found.key),
        content=prepared.body,
        extensions={"timeout": timeout().as_dict()},
    )
    meter = Meter(family, strip_usage_chunk=prepared.injected_usage, model=prepared.model)
    return Exchange(
        request,
        meter,
        lambda usage: recorder.add(token, route.setting_key, usage, address),
        provider=provider.slug,
    )


def upstream_url(provider: Provider, route: routing.Route) -> httpx.URL:
    """The provider's configured origin (and base path) with the caller's path and query."""
    short = len(route.raw_path) + len(route.query) <= CACHED_URL_LENGTH  # bounds the cache
    join = _joined_url if short else _joined_url.__wrapped__
    return join(base_url(provider), route.raw_path, route.query)


@lru_cache(maxsize=1024)
def _joined_url(base_url: str, raw_path: str, query: str) -> httpx.URL:
    """Built from parts, so nothing in the caller's path can become a host: `//` and `@` stay
    path characters. Cached because httpx checks a URL character by character (~0.1 ms, a
    third of keyvault's own time per request) and callers repeat a few paths."""
    base = httpx.URL(base_url)
    joined = (base.raw_path.rstrip(b"/") + raw_path.encode("latin-1")).split(b"?")[0]
    if query:
        joined += b"?" + query.encode("latin-1")
    return base.copy_with(raw_path=joined)


def scope_client_ip(scope: Scope) -> str:
    """The client address by the one rule the API and the audit use (client_address.py)."""
    client = scope.get("client") or ("", 0)
    forwarded = [value for name, value in scope["headers"] if name == b"x-forwarded-for"]
    return address_from(client[0], b",".join(forwarded).decode("latin-1"))


def is_secure(scope: Scope) -> bool:
    """HTTPS, as Django decides it: the socket's scheme, or SECURE_PROXY_SSL_HEADER."""
    if scope.get("scheme") == "https":
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy_header:
        return False
    name, expected = proxy_header
    wanted = name.removeprefix("HTTP_").lower().replace("_", "-").encode("latin-1")
    values = [value for header, value in scope["headers"] if header == wanted]
    return bool(values) and values[0].split(b",")[0].strip().decode("latin-1") == expected


def max_body() -> int:
    return int(getattr(settings, "KEYVAULT_GATEWAY_MAX_BODY", DEFAULT_MAX_BODY))


async def read_body(scope: Scope, receive: Receive) -> bytes:
    """The whole request body; BodyTooLarge past the limit, CallerGone on a disconnect."""
    limit = max_body()
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise BodyTooLarge
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise CallerGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)
