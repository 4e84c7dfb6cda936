"""Where a gateway request goes and how keyvault authenticates it, by the setting's provider.

A registry provider's key goes in the registry's auth header. A structured credential (Azure
OpenAI, Bedrock, Vertex AI: clouds/) is routed by its routing fields and authenticated its own
way: an `api-key`, a SigV4 signature, a minted access token. Either way the scheme, host and
port come from configuration and stored fields only, never from the request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import httpx

from settings_app.credentials.envelope import is_envelope
from settings_app.credentials.urls import UnsafeURLError
from settings_app.providers import Provider, get_provider
from settings_app.providers.client import base_url

from . import forwarding
from .lookups import ProviderKey
from .requests import INCLUDE_USAGE_PROVIDERS
from .routing import Route, upstream_url
from .usage import family_for


class BadRoute(Exception):
    """A path this credential cannot serve (400); the message says why and is safe to show."""


class NoAccess(Exception):
    """keyvault could not obtain an access token (502); the message names a host at most."""


class Destination(Protocol):
    @property
    def slug(self) -> str:
        """The provider's slug (the registry's, or the structured credential's)."""

    def family(self, route: Route) -> str:
        """The API family whose usage reports the answer carries (usage.py)."""

    def asks_usage(self, route: Route) -> bool:
        """Whether a streamed chat completion may get `stream_options.include_usage` set."""

    async def request(
        self, method: str, route: Route, headers: forwarding.Headers, body: bytes
    ) -> httpx.Request:
        """The authenticated upstream request (BadRoute, NoAccess)."""


@dataclass(frozen=True, repr=False)
class KeyDestination:
    """A registry provider: its base URL, the key in its auth header."""

    provider: Provider
    key: str = field(repr=False)

    @property
    def slug(self) -> str:
        return self.provider.slug

    def family(self, route: Route) -> str:
        return family_for(self.provider.slug)

    def asks_usage(self, route: Route) -> bool:
        return self.provider.slug in INCLUDE_USAGE_PROVIDERS

    async def request(
        self, method: str, route: Route, headers: forwarding.Headers, body: bytes
    ) -> httpx.Request:
        url = upstream_url(base_url(self.provider), route)
        sent = forwarding.upstream_headers(headers, self.provider, self.key)
        return httpx.Request(method, url, headers=sent, content=body)


async def authenticated_request(
    destination: Destination, method: str, route: Route, headers: forwarding.Headers, body: bytes
) -> httpx.Request:
    """`destination.request(...)`; a URL off its expected host is NoAccess (nothing sent)."""
    try:
        return await destination.request(method, route, headers, body)
    except UnsafeURLError as error:
        raise NoAccess(f"{error} Nothing was sent.") from None


def destination_for(found: ProviderKey) -> Destination | None:
    """Where setting `found` sends requests; None for a provider the gateway cannot call."""
    if is_envelope(found.key):
        from .clouds import cloud_destination

        return cloud_destination(found.key)
    provider = get_provider(found.provider_slug)
    return None if provider is None else KeyDestination(provider, found.key)
