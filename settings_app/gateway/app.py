"""The gateway as a plain ASGI app: `/gateway/<setting key>/<provider path>`, on the event loop.

Everything before the upstream call (token, network, scope, key, limit) is answered from
in-process caches, with a thread trip only on a cache miss; no Django middleware runs here.
Every refusal answers before anything is sent upstream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any

from django.conf import settings

from settings_app.api.models import ServiceToken
from settings_app.crypto import DecryptionError
from settings_app.request_context.client_address import address_from

from . import answers, forwarding, limits, lookups, requests, routing
from .destinations import (
    BadRoute,
    Destination,
    NoAccess,
    authenticated_request,
    destination_for,
)
from .metering import Meter
from .recording import recorder
from .relay import relay
from .upstream import Exchange, timeout

Receive = Callable[[], Awaitable[dict[str, Any]]]
Scope = dict[str, Any]
DEFAULT_MAX_BODY = 32 * 1024 * 1024


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


async def _target(token: ServiceToken, route: routing.Route | None) -> Destination | None:
    if route is None or not token.allows_gateway(route.setting_key):
        return None
    found = await lookups.provider_key(route.setting_key)
    return None if found is None else destination_for(found)


async def _call(
    scope: Scope,
    receive: Receive,
    send: answers.Send,
    token: ServiceToken,
    route: routing.Route,
    target: Destination,
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
    try:
        exchange = await _start(scope, token, route, target, body, address)
    except BadRoute as error:
        return await answers.refuse(send, 400, str(error))
    except NoAccess as error:
        return await answers.refuse(send, 502, str(error))
    await relay(exchange, receive, send, kv_ms=(perf_counter() - started) * 1000)


async def _start(
    scope: Scope,
    token: ServiceToken,
    route: routing.Route,
    destination: Destination,
    body: bytes,
    address: str,
) -> Exchange:
    family = destination.family(route)
    asks_usage = destination.asks_usage(route)
    prepared = requests.prepare(
        destination.slug, family, route.raw_path, body, asks_usage=asks_usage
    )
    request = await authenticated_request(
        destination, scope["method"], route, scope["headers"], prepared.body
    )
    request.extensions["timeout"] = timeout().as_dict()
    meter = Meter(family, strip_usage_chunk=prepared.injected_usage, model=prepared.model)
    return Exchange(
        request,
        meter,
        lambda usage: recorder.add(token, route.setting_key, usage, address),
        provider=destination.slug,
    )


def scope_client_ip(scope: Scope) -> str:
    """The client address by the one rule the API and the audit use
    (`request_context/client_address.py`)."""
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
