"""A stand-in for every LLM provider: a real HTTP server on 127.0.0.1, for tests.

Each provider lives under its own path prefix (`/openai`, `/anthropic`, ...), and
`server.point(settings)` sets every `KEYVAULT_<SLUG>_BASE_URL` to it. The server answers like
the provider would: a request with the provider's exact method, path and auth headers, carrying
a key registered with `server.accept(key)`, gets that key's answer (200 by default); any other
key gets 401 (Cohere: 200 `{"valid": false}`); a wrong method, path or header set gets 400.
Every request is recorded in `server.requests` so tests can assert what was sent.

Use the `provider_server` fixture (import it under its function name, which differs from the
fixture name so ruff sees no redefinition)::

    from tests.support.provider_server import ProviderServer, provider_server_fixture  # noqa: F401

    def test_something(provider_server: ProviderServer) -> None:
        provider_server.accept("sk-proj-good")                  # -> 200, valid
        provider_server.accept("sk-proj-poor", status=429, body=b'{"code": "insufficient_quota"}')
        ...
        assert provider_server.requests[-1].headers["authorization"] == "Bearer sk-proj-good"

or, outside pytest-django, `with ProviderServer.running() as server: ...`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from settings_app.providers import PROVIDERS, Provider

from .standin_server import Reply, Seen, serving


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b'{"data": []}'
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RecordedRequest:
    """What the server received; header names are lower-cased."""

    provider: str
    method: str
    path: str
    headers: dict[str, str]

    @property
    def key(self) -> str | None:
        """The key sent in the provider's auth header, without its scheme."""
        provider = PROVIDERS.get(self.provider)
        if provider is None:
            return None
        value = self.headers.get(provider.auth_header.lower())
        if value is None or not provider.auth_scheme:
            return value
        scheme, _, key = value.partition(" ")
        return key if scheme == provider.auth_scheme else None


@dataclass
class ProviderServer:
    """The running server: its URL, the keys it accepts, and the requests it saw."""

    url: str = ""
    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)

    def accept(
        self,
        key: str,
        *,
        status: int = 200,
        body: bytes = b'{"data": []}',
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Answer requests carrying `key` (correctly authenticated) with this answer."""
        self.answers[key] = Answer(status, body, headers)

    def base_url(self, slug: str) -> str:
        return f"{self.url}/{slug}"

    def point(self, settings: Any, *slugs: str) -> None:
        """Set KEYVAULT_<SLUG>_BASE_URL (on pytest-django's `settings`) for `slugs`, or all."""
        for slug in slugs or tuple(PROVIDERS):
            setattr(settings, PROVIDERS[slug].base_url_setting, self.base_url(slug))

    def answer(self, request: RecordedRequest) -> Answer:
        """How the provider would answer `request`."""
        self.requests.append(request)
        provider = PROVIDERS.get(request.provider)
        if provider is None or not _well_formed(provider, request):
            return Answer(400, b'{"error": "bad request"}')
        if request.key in self.answers:
            return self.answers[request.key]
        if provider.slug == "cohere":
            return Answer(200, b'{"valid": false}')
        return Answer(401, b'{"error": {"message": "Incorrect API key provided"}}')

    def handle(self, seen: Seen) -> Reply:
        """The stand-in server's handler: `/<slug>/<provider path>`."""
        slug, _, path = seen.path.partition("/")[2].partition("/")
        answer = self.answer(RecordedRequest(slug, seen.method, "/" + path, seen.headers))
        return Reply(answer.status, answer.body, answer.headers)

    @classmethod
    @contextmanager
    def running(cls) -> Iterator[ProviderServer]:
        """Start a server on a free port of 127.0.0.1; stop it on exit."""
        server = cls()
        with serving(server.handle) as url:
            server.url = url
            yield server


def _well_formed(provider: Provider, request: RecordedRequest) -> bool:
    """The provider's exact method, path, auth header (with scheme) and extra headers."""
    extras_ok = all(request.headers.get(k.lower()) == v for k, v in provider.extra_headers)
    return (
        request.method == provider.verify_method
        and request.path == provider.verify_path
        and request.key is not None
        and extras_ok
    )


@pytest.fixture(name="provider_server")
def provider_server_fixture(settings: Any) -> Iterator[ProviderServer]:
    """A running stand-in server with every provider's base URL pointed at it."""
    with ProviderServer.running() as server:
        server.point(settings)
        yield server


def cohere_valid_body() -> bytes:
    """The body Cohere's check-api-key returns for a key it knows."""
    return json.dumps({"valid": True, "organization_id": "org-test"}).encode()
