"""Google Vertex AI through the gateway: the credential's regional endpoint, with an access token
minted by google-auth from the stored service-account key (in a thread, cached until shortly
before it expires).

Callers use Vertex's own REST paths under the credential's project and location:
`/v1/projects/<project>/locations/<location>/publishers/google/models/<model>:generateContent`
(and `:streamGenerateContent`), `.../publishers/anthropic/models/<model>:rawPredict` (and
`:streamRawPredict`), so `AnthropicVertex(base_url=".../gateway/<key>/v1", ...)` works as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

import httpx
import urllib3
from google.auth import exceptions
from google.auth.transport.urllib3 import Request as GoogleRequest
from google.oauth2 import service_account

from settings_app.credentials import urls
from settings_app.credentials.verify_vertex import SCOPE

from .. import forwarding
from ..destinations import BadRoute, NoAccess
from ..routing import Route, upstream_url
from ..usage import ANTHROPIC, GEMINI, OPENAI
from .access_tokens import access_token, identity

ACCOUNT_FIELDS = ("project_id", "private_key_id", "client_email", "client_id", "universe_domain")


@dataclass(frozen=True, repr=False)
class VertexDestination:
    config: dict[str, str]
    secrets: dict[str, str] = field(repr=False)
    slug: str = "vertex_ai"

    def family(self, route: Route) -> str:
        if "/publishers/anthropic/" in route.raw_path:
            return ANTHROPIC
        return OPENAI if route.raw_path.endswith("/chat/completions") else GEMINI

    def asks_usage(self, route: Route) -> bool:
        return False

    async def request(
        self, method: str, route: Route, headers: forwarding.Headers, body: bytes
    ) -> httpx.Request:
        self._check_project(route)
        url = upstream_url(urls.vertex_base(self.config["location"]), route)
        token = await access_token(self._identity(), self._mint)
        sent = forwarding.caller_headers(headers)
        sent.append((b"authorization", f"Bearer {token}".encode("latin-1")))
        return httpx.Request(method, url, headers=sent, content=body)

    def _check_project(self, route: Route) -> None:
        """A path naming a project or location names the credential's own (BadRoute)."""
        project, location = self.config["project_id"], self.config["location"]
        expected = {"projects": project, "locations": location}
        segments = route.raw_path.split("/")
        if any(
            segment in expected and segments[i + 1 : i + 2] != [expected[segment]]
            for i, segment in enumerate(segments)
        ):
            raise BadRoute(
                f"This credential calls Vertex AI in project {project}, location {location}: "
                f"use /v1/projects/{project}/locations/{location}/..."
            )

    def _identity(self) -> str:
        return identity("vertex", self.config["client_email"], self.secrets["private_key"])

    def _mint(self) -> tuple[str, float]:
        """An access token for the service account (blocking: called in a thread)."""
        token_url = urls.vertex_token_url(self.config["token_uri"])
        info = {
            "type": "service_account",
            **{name: self.config[name] for name in ACCOUNT_FIELDS if name in self.config},
            "private_key": self.secrets["private_key"],
            "token_uri": token_url,
        }
        credentials = service_account.Credentials.from_service_account_info(info, scopes=[SCOPE])
        http = urllib3.PoolManager(retries=urllib3.Retry(total=1, redirect=False))
        try:
            credentials.refresh(GoogleRequest(http))
        except exceptions.GoogleAuthError:
            # google-auth's message may quote the token endpoint's answer: a fixed sentence.
            host = httpx.URL(token_url).host
            raise NoAccess(
                f"Google's token endpoint at {host} refused or did not answer."
            ) from None
        finally:
            http.clear()
        expiry = credentials.expiry.replace(tzinfo=UTC).timestamp()
        return str(credentials.token), expiry
