"""Every refusal answers before anything is sent upstream, and no path or header moves the call."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone

from settings_app.api import services
from settings_app.api.models import ServiceToken
from settings_app.lookups import values as value_cache
from settings_app.models import GatewayUsage, Setting

from .conftest import KEYS, Gateway

CHAT = "/v1/chat/completions"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


def post(gateway: Gateway, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {token or gateway.token}", **kwargs.pop("headers", {})}
    return httpx.post(gateway.url + path, headers=headers, json=BODY, **kwargs)


def raw_post(
    gateway: Gateway, path: str, headers: dict[str, str], host: str = "127.0.0.1"
) -> tuple[int, str]:
    """POST `path` exactly as written: HTTP clients would normalise the dot segments away."""
    body = json.dumps(BODY).encode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join([*lines, "Connection: close", "", ""])).encode() + body
    port = httpx.URL(gateway.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), rest.decode("latin-1")


def refused(gateway: Gateway, answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert gateway.stub.seen == []  # nothing reached the provider
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_a_bad_expired_or_revoked_token_answers_401(gateway: Gateway) -> None:
    expired = services.create_token("old", [], gateway_scope=["*"]).secret
    ServiceToken.objects.filter(name="old").update(expires_at=timezone.now() - timedelta(days=1))
    revoked = services.create_token("gone", [], gateway_scope=["*"]).secret
    services.revoke_token("gone")
    path = "/gateway/openai_api_key" + CHAT

    bodies = [
        refused(gateway, post(gateway, path, token), 401)
        for token in ("kvt_nonsense", expired, revoked, gateway.token[:-1] + "x")
    ]
    none = httpx.post(gateway.url + path, json=BODY)

    assert refused(gateway, none, 401) == bodies[0]
    assert all(body == bodies[0] for body in bodies)  # no oracle
    assert none.headers["www-authenticate"].startswith("Bearer")


def test_keys_outside_the_gateway_scope_and_unknown_keys_look_alike(gateway: Gateway) -> None:
    narrow = services.create_token("narrow", [], gateway_scope=["anthropic_api_key"]).secret

    outside = refused(gateway, post(gateway, "/gateway/openai_api_key" + CHAT, narrow), 404)
    unknown = refused(gateway, post(gateway, "/gateway/nope_api_key" + CHAT, narrow), 404)

    assert outside == unknown


def test_a_read_token_cannot_use_the_gateway_and_a_gateway_token_cannot_read(
    gateway: Gateway, settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    reader = services.create_token("reader", ["openai_api_key"]).secret

    refused(gateway, post(gateway, "/gateway/openai_api_key" + CHAT, reader), 404)
    read = httpx.get(
        gateway.url + "/api/v1/settings/openai_api_key",
        headers={"authorization": f"Bearer {gateway.token}", "x-forwarded-proto": "https"},
    )

    assert read.status_code == 404
    assert KEYS["openai_api_key"][1] not in read.text


def test_a_disallowed_network_answers_403(gateway: Gateway) -> None:
    fenced = services.create_token(
        "fenced", [], gateway_scope=["*"], allowed_networks=["10.0.0.0/8"]
    ).secret

    refused(gateway, post(gateway, "/gateway/openai_api_key" + CHAT, fenced), 403)


def test_a_spoofed_forwarded_for_does_not_open_a_network(gateway: Gateway) -> None:
    fenced = services.create_token(
        "fenced", [], gateway_scope=["*"], allowed_networks=["10.0.0.0/8"]
    ).secret
    spoofed = {"x-forwarded-for": "10.1.2.3"}

    refused(gateway, post(gateway, "/gateway/openai_api_key" + CHAT, fenced, headers=spoofed), 403)


@pytest.mark.parametrize(
    "path",
    [
        "/gateway/openai_api_key/v1/../../admin",
        "/gateway/openai_api_key/v1/%2e%2e/admin",
        "/gateway/openai_api_key/v1/%2E%2E/admin",
        "/gateway/openai_api_key/v1%2f..%2fadmin",
        "/gateway/openai_api_key/v1%2Fchat",
        "/gateway/openai_api_key/v1%5cchat",
        "/gateway/openai_api_key/v1\\chat",
        "/gateway/openai_api_key/https://evil.example/v1",
        "/gateway/openai_api_key/http:%2f%2fevil.example",
        "/gateway/openai_api_key//https://evil.example",
        "/gateway/openai_api_key/./v1/chat/completions",
    ],
)
def test_paths_that_could_change_the_destination_answer_400(gateway: Gateway, path: str) -> None:
    status, body = raw_post(gateway, path, {"authorization": f"Bearer {gateway.token}"})

    assert status == 400, body
    assert gateway.stub.seen == []


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/v1//evil.example/chat", "/openai/v1//evil.example/chat"),
        ("/v1/models/m@evil.example:predict", "/openai/v1/models/m@evil.example:predict"),
        ("//evil.example/v1", "/openai//evil.example/v1"),
        ("/@evil.example/v1", "/openai/@evil.example/v1"),
    ],
)
def test_at_signs_and_double_slashes_stay_in_the_path(
    gateway: Gateway, path: str, upstream: str
) -> None:
    status, _ = raw_post(
        gateway,
        f"/gateway/openai_api_key{path}",
        {"authorization": f"Bearer {gateway.token}", "x-forwarded-host": "evil.example"},
        host="evil.example",
    )

    assert status == 200
    seen = gateway.stub.seen[-1]
    assert seen.raw_path == upstream  # the stub answered: the host did not change
    assert seen.headers["host"].startswith("127.0.0.1")
    assert "x-forwarded-host" not in seen.headers


def test_hop_by_hop_cookies_and_forwarded_headers_are_not_forwarded(gateway: Gateway) -> None:
    post(
        gateway,
        "/gateway/openai_api_key" + CHAT,
        headers={
            "cookie": "sessionid=abc",
            "x-forwarded-for": "1.2.3.4",
            "x-forwarded-proto": "https",
            "connection": "keep-alive, x-private",
            "x-private": "hop",
            "keep-alive": "timeout=5",
            "proxy-authorization": "Basic abc",
            "x-custom": "kept",
        },
    )

    sent = gateway.stub.seen[-1].headers
    for name in ("cookie", "x-forwarded-for", "x-forwarded-proto", "x-private", "keep-alive"):
        assert name not in sent
    assert "proxy-authorization" not in sent
    assert sent["x-custom"] == "kept"


def test_bodies_over_the_limit_answer_413(gateway: Gateway, settings: Any) -> None:
    settings.KEYVAULT_GATEWAY_MAX_BODY = 1000
    path = gateway.url + "/gateway/openai_api_key" + CHAT
    headers = {"authorization": f"Bearer {gateway.token}"}

    declared = httpx.post(path, headers=headers, content=b"x" * 1001)

    def chunked() -> Any:
        yield b"x" * 600
        yield b"x" * 600

    streamed = httpx.post(path, headers=headers, content=chunked())

    refused(gateway, declared, 413)
    refused(gateway, streamed, 413)


def test_the_daily_limit_answers_429_until_midnight(gateway: Gateway) -> None:
    created = services.create_token("capped", [], gateway_scope=["*"], daily_token_limit=100)
    GatewayUsage.objects.create(
        day=timezone.now().date(),
        token=created.token,
        setting_key="openai_api_key",
        model="m",
        requests=3,
        input_tokens=60,
        output_tokens=40,
    )

    answer = post(gateway, "/gateway/openai_api_key" + CHAT, created.secret)

    error = refused(gateway, answer, 429)
    assert "100" in error["message"]
    assert 0 < int(answer.headers["retry-after"]) <= 86400


def test_an_unreachable_provider_answers_502_naming_the_host(
    gateway: Gateway, settings: Any
) -> None:
    settings.KEYVAULT_OPENAI_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens

    answer = post(gateway, "/gateway/openai_api_key" + CHAT)

    assert answer.status_code == 502
    assert "127.0.0.1" in answer.json()["error"]["message"]
    assert KEYS["openai_api_key"][1] not in answer.text


def test_an_upstream_timeout_answers_504(gateway: Gateway, settings: Any) -> None:
    settings.KEYVAULT_GATEWAY_READ_TIMEOUT = 0.2
    gateway.stub.hang = 2.0

    answer = post(gateway, "/gateway/openai_api_key" + CHAT, timeout=30)

    assert answer.status_code == 504
    assert answer.json()["error"]["type"] == "timeout_error"


def test_upstream_errors_keep_their_status_and_body(gateway: Gateway) -> None:
    gateway.stub.status = 429

    answer = post(gateway, "/gateway/openai_api_key" + CHAT)

    assert answer.status_code == 429
    assert answer.json()["model"] == "gpt-stub-1"


def test_plain_http_is_refused_when_https_is_required(gateway: Gateway, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    plain = post(gateway, "/gateway/openai_api_key" + CHAT)
    behind_tls = post(
        gateway, "/gateway/openai_api_key" + CHAT, headers={"x-forwarded-proto": "https"}
    )

    assert plain.status_code == 403 and "HTTPS" in plain.json()["error"]["message"]
    assert behind_tls.status_code == 200
    assert len(gateway.stub.seen) == 1


def test_an_undecryptable_key_answers_500_without_an_upstream_call(gateway: Gateway) -> None:
    from tests.support.unreadable_rows import raw_value, write_raw_value

    setting = Setting.objects.get(key="openai_api_key")
    tampered = raw_value(setting)[:-4] + (
        "AAAA" if not raw_value(setting).endswith("AAAA") else "BBBB"
    )
    write_raw_value(setting, tampered)
    value_cache.invalidate()

    answer = post(gateway, "/gateway/openai_api_key" + CHAT)

    error = refused(gateway, answer, 500)
    assert "cannot be decrypted" in error["message"]
    assert tampered not in answer.text


def test_an_unexpected_error_in_the_upstream_call_answers_502_without_its_message(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything the HTTP client raises besides its own errors (a bug, an unusable request) still
    answers the caller, before the deadline, and logs no message that could quote a header."""
    canary = KEYS["openai_api_key"][1]

    async def broken_send(*args: Any, **kwargs: Any) -> httpx.Response:
        raise RuntimeError(f"header value {canary} is not allowed")

    monkeypatch.setattr(httpx.AsyncClient, "send", broken_send)

    answer = post(gateway, "/gateway/openai_api_key" + CHAT, timeout=30)

    assert answer.status_code == 502
    assert "127.0.0.1" in answer.json()["error"]["message"]
    assert canary not in answer.text
    assert "RuntimeError" in caplog.text
    assert canary not in caplog.text
