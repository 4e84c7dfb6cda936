"""Azure OpenAI through the gateway: the resource's endpoint, the stored `api-key` or an Entra
ID token (client credentials, minted in a thread and cached).

Callers use the Azure SDK's own paths (`/openai/deployments/<name>/chat/completions?api-version=…`
or the v1 API, `/openai/v1/...`), e.g. `AzureOpenAI(azure_endpoint=".../gateway/<key>", ...)`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import httpx

from settings_app.credentials import entra, urls
from settings_app.credentials.http import Unreachable
from settings_app.credentials.schema import AZURE_SUFFIXES

from .. import forwarding
from ..destinations import NoAccess
from ..routing import Route, upstream_url
from ..usage import OPENAI
from .access_tokens import access_token, identity

FIRST_STREAM_OPTIONS_VERSION = "2024-09-01"  # API versions before it refuse stream_options


@dataclass(frozen=True, repr=False)
class AzureDestination:
    config: dict[str, str]
    secrets: dict[str, str] = field(repr=False)
    slug: str = "azure_openai"

    def family(self, route: Route) -> str:
        return OPENAI

    def asks_usage(self, route: Route) -> bool:
        versions = parse_qs(route.query).get("api-version", [])
        return route.raw_path.startswith("/openai/v1/") or (
            bool(versions) and versions[0] >= FIRST_STREAM_OPTIONS_VERSION
        )

    async def request(
        self, method: str, route: Route, headers: forwarding.Headers, body: bytes
    ) -> httpx.Request:
        suffix = self.config.get("endpoint_suffix", AZURE_SUFFIXES[0])
        url = upstream_url(urls.azure_base(self.config["resource_name"], suffix), route)
        sent = forwarding.caller_headers(headers)
        if "api_key" in self.secrets:
            sent.append((b"api-key", self.secrets["api_key"].encode("latin-1")))
        else:
            token = await access_token(self._identity(), self._mint)
            sent.append((b"authorization", f"Bearer {token}".encode("latin-1")))
        return httpx.Request(method, url, headers=sent, content=body)

    def _identity(self) -> str:
        fields = (self.config["tenant_id"], self.config["client_id"])
        return identity("entra", *fields, self.secrets["client_secret"])

    def _mint(self) -> tuple[str, float]:
        """A client-credentials token from Entra ID (blocking: called in a thread)."""
        fields = {**self.config, **self.secrets}
        host = httpx.URL(entra.token_url(fields)).host
        try:
            answer = entra.request_token(fields)
        except Unreachable:
            raise NoAccess(f"Entra ID at {host} could not be reached for a token.") from None
        token, lifetime = answer.json().get("access_token"), answer.json().get("expires_in")
        if answer.status != 200 or not isinstance(token, str):
            raise NoAccess(f"Entra ID at {host} refused a token (HTTP {answer.status}).")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 3599.0
        return token, time.time() + seconds
