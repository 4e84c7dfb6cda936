"""Gateway fixtures: a stub provider and keyvault's ASGI app, each under uvicorn on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pytest
from django.db import OperationalError

from settings_app.api import services
from settings_app.gateway import limits, lookups
from settings_app.gateway.recording import recorder
from settings_app.models import GatewayUsage, Setting

from .servers import serving
from .stub_provider import StubProvider

# Canaries: these keys must never come back to a caller, nor reach a log or an error.
KEYS = {
    "openai_api_key": ("openai", "sk-proj-CANARYopenai" + "Q7wLm2Xc9Rb4Tz8Nv1Hd6Ja3Ke5Pu0Gs" * 2),
    "anthropic_api_key": ("anthropic", "sk-ant-api03-CANARYanthropic" + "Hn2Vb6Xq9Lt3Mc7Rz1" * 3),
    "gemini_api_key": ("gemini", "AIzaCANARYgemini" + "Bq7Tz3Nv8Lc2Rw6Xk1Hm5Jd9Pf"),
}
RECORD_DEADLINE = 20.0


@dataclass
class Gateway:
    url: str
    stub: StubProvider
    token: str  # a gateway token for every stored key

    def base(self, setting_key: str) -> str:
        return f"{self.url}/gateway/{setting_key}"


@pytest.fixture
def stub() -> Iterator[tuple[StubProvider, str]]:
    provider = StubProvider()
    with serving(provider) as url:
        yield provider, url


@pytest.fixture
def gateway(
    transactional_db: None, settings: Any, stub: tuple[StubProvider, str]
) -> Iterator[Gateway]:
    provider, stub_url = stub
    for slug in ("openai", "anthropic", "gemini"):
        setattr(settings, f"KEYVAULT_{slug.upper()}_BASE_URL", f"{stub_url}/{slug}")
    settings.KEYVAULT_GATEWAY_FLUSH_SECONDS = 0.05
    _reset()
    for key, (slug, value) in KEYS.items():
        Setting.objects.create(key=key, value=value, provider=slug)
    secret = services.create_token("gateway-user", [], gateway_scope=["*_api_key"]).secret
    from keyvault_site.asgi import application

    with serving(application) as url:
        yield Gateway(url, provider, secret)
    _reset()


def _reset() -> None:
    lookups.reset()
    limits.reset()
    recorder._flush_handle = None


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    """Poll `condition` until it is truthy, up to a generous deadline (a busy machine)."""
    deadline = time.monotonic() + RECORD_DEADLINE
    while time.monotonic() < deadline:
        try:
            result = condition()
        except OperationalError:  # SQLite's shared in-memory test database: "table is locked"
            result = None  # while the server's flush writes; read again
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def usage_rows() -> list[tuple[str, str, int, int, int, int]]:
    return list(
        GatewayUsage.objects.order_by("setting_key", "model").values_list(
            "setting_key", "model", "requests", "input_tokens", "output_tokens", "unmetered"
        )
    )


def wait_for_requests(count: int) -> list[tuple[str, str, int, int, int, int]]:
    def recorded() -> list[tuple[str, str, int, int, int, int]] | None:
        rows = usage_rows()
        return rows if sum(row[2] for row in rows) >= count else None

    return wait_for(recorded, f"{count} recorded requests")


class _Closable(Protocol):
    def close(self) -> None: ...


Client = TypeVar("Client", bound=_Closable)
_open_clients: list[_Closable] = []


@pytest.fixture(autouse=True)
def close_sdk_clients() -> Iterator[None]:
    """SDK clients' connections are closed with their test: left to the garbage collector, an
    unclosed socket's ResourceWarning fails whichever later test is running then."""
    yield
    while _open_clients:
        _open_clients.pop().close()


def closed_after_test(client: Client) -> Client:
    """`client` (an OpenAI or Anthropic SDK client), closed when the test ends."""
    _open_clients.append(client)
    return client
