"""One ASGI server answers the admin, the API and the gateway, with uvicorn's proxy headers off."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from keyvault_site.workers import UvicornWorker
from settings_app.api import services
from settings_app.models import AuditEvent, Setting

from .servers import serving

SPOOFED = {"x-forwarded-for": "10.1.2.3"}
WORKER_CONFIG = {k: v for k, v in UvicornWorker.CONFIG_KWARGS.items() if k not in {"loop", "http"}}


@pytest.fixture
def production_server(transactional_db: None, settings: Any) -> Any:
    """keyvault_site.asgi as the production worker configures uvicorn (proxy headers off)."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SECURE_SSL_REDIRECT = False
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 0
    from keyvault_site.asgi import application

    with serving(application, **WORKER_CONFIG) as url:
        yield url


def test_the_production_worker_turns_uvicorns_proxy_headers_off() -> None:
    assert UvicornWorker.CONFIG_KWARGS["proxy_headers"] is False


def test_a_spoofed_forwarded_for_changes_neither_the_audit_nor_a_network_check(
    production_server: str,
) -> None:
    Setting.objects.create(key="openai_api_key", value="sk-proj-" + "x" * 40, provider="openai")
    fenced = services.create_token(
        "fenced", ["openai_api_key"], gateway_scope=["*"], allowed_networks=["10.0.0.0/8"]
    ).secret
    open_token = services.create_token("open", ["openai_api_key"]).secret
    read_url = production_server + "/api/v1/settings/openai_api_key"

    refused_read = httpx.get(read_url, headers={"authorization": f"Bearer {fenced}", **SPOOFED})
    refused_call = httpx.post(
        production_server + "/gateway/openai_api_key/v1/chat/completions",
        headers={"authorization": f"Bearer {fenced}", **SPOOFED},
        json={},
    )
    read = httpx.get(read_url, headers={"authorization": f"Bearer {open_token}", **SPOOFED})

    assert (refused_read.status_code, refused_call.status_code, read.status_code) == (403, 403, 200)
    event = AuditEvent.objects.get(action="api_read")
    assert event.details["client_ip"] == "127.0.0.1"


def test_the_admin_is_served_beside_the_gateway(production_server: str) -> None:
    login = httpx.get(production_server + "/admin/login/")

    assert login.status_code == 200
    assert "csrftoken" in login.headers.get("set-cookie", "")
