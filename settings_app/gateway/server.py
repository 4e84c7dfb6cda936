"""The ASGI application keyvault serves: `/gateway/` on the event loop, the rest through Django.

The gateway is routed before Django's handler, so no Django middleware (and no thread hop)
sits in its path. Lifespan events are answered here: at shutdown, pending usage is written and
the shared upstream client closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .app import gateway
from .recording import recorder
from .routing import PREFIX
from .upstream import close_clients

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def with_gateway(django_app: ASGIApp) -> ASGIApp:
    """`django_app` with `/gateway/...` served by the gateway and lifespan handled."""

    async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            return await gateway(scope, receive, send)
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        return await django_app(scope, receive, send)

    return application


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await recorder.flush()
            await close_clients()
            await send({"type": "lifespan.shutdown.complete"})
            return
