"""The cloud credentials keep every gateway guarantee: refusals before anything is sent (no call,
no token minted), no path or header moves the call, the caller's credentials never go up, a
rotation applies to the next request while streams finish on theirs, and no secret leaks."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from typing import Any

import httpx
import pytest
from django.utils import timezone

from settings_app.api import services
from settings_app.credentials.services import set_credential
from settings_app.credentials.urls import UnsafeURLError
from settings_app.gateway.destinations import NoAccess, authenticated_request
from settings_app.gateway.routing import Route
from settings_app.metrics.exposition import exposition
from settings_app.models import AuditEvent, GatewayUsage
from tests.credentials import samples
from tests.gateway.conftest import wait_for, wait_for_requests
from tests.support.cloud_standins import Standins

from .conftest import CREDENTIALS, Clouds, canaries, new_service_account_key

CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1%3A0"
VERTEX = "/v1/projects/my-project-123/locations/us-central1/publishers/google/models/g-1"
CALLS = {
    "azure_key": "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
    "azure_entra": "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
    "bedrock_key": f"/model/{CLAUDE}/converse",
    "bedrock_bearer": f"/model/{CLAUDE}/converse",
    "vertex_key": f"{VERTEX}:generateContent",
}
BODY = {"messages": [{"role": "user", "content": "hi"}], "contents": []}


def call(clouds: Clouds, key: str, token: str | None = None, **options: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {token or clouds.token}", **options.pop("headers", {})}
    url = clouds.base(key) + CALLS[key]
    return httpx.post(url, headers=headers, json=options.pop("json", BODY), timeout=60, **options)


def refused(clouds: Clouds, answer: httpx.Response, status: int) -> None:
    assert answer.status_code == status, answer.text
    assert clouds.standins.requests == []  # no call, and no token minted


@pytest.mark.parametrize("key", CREDENTIALS)
def test_every_refusal_answers_before_anything_is_sent_or_minted(
    clouds: Clouds, settings: Any, key: str
) -> None:
    narrow = services.create_token("narrow", [], gateway_scope=["nothing_*"]).secret
    fenced = services.create_token(
        "fenced", [], gateway_scope=["*"], allowed_networks=["10.0.0.0/8"]
    ).secret
    capped = services.create_token("capped", [], gateway_scope=["*"], daily_token_limit=10)
    GatewayUsage.objects.create(
        day=timezone.now().date(), token=capped.token, setting_key=key, model="m",
        requests=1, input_tokens=10, output_tokens=0,
    )  # fmt: skip

    refused(clouds, call(clouds, key, "kvt_nonsense"), 401)
    refused(clouds, call(clouds, key, narrow), 404)
    refused(clouds, call(clouds, key, fenced, headers={"x-forwarded-for": "10.1.2.3"}), 403)
    refused(clouds, call(clouds, key, capped.secret), 429)
    settings.KEYVAULT_GATEWAY_MAX_BODY = 100
    refused(clouds, call(clouds, key, json={"pad": "x" * 200}), 413)


def raw_post(clouds: Clouds, path: str, host: str = "127.0.0.1") -> int:
    """POST `path` exactly as written: HTTP clients would normalise dot segments away."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {clouds.token}\r\n"
        "X-Forwarded-Host: evil.example\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    )
    with socket.create_connection(("127.0.0.1", httpx.URL(clouds.url).port), timeout=30) as sock:
        sock.sendall(head.encode())
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    return int(answer.split(b" ")[1])


@pytest.mark.parametrize(
    "path",
    [
        f"/gateway/vertex_key{VERTEX.replace('/publishers', '/../../other-project')}",
        "/gateway/vertex_key/v1/projects/my-project-123/%2e%2e/%2e%2e/x",
        f"/gateway/bedrock_key/model/{CLAUDE}%2f..%2fconverse",
        "/gateway/bedrock_key/model\\x/converse",
        "/gateway/azure_key/https://evil.example/openai/deployments/x/chat/completions",
        "/gateway/azure_key//http:%2f%2fevil.example",
    ],
)
def test_paths_that_could_change_the_destination_answer_400(clouds: Clouds, path: str) -> None:
    assert raw_post(clouds, path) == 400
    assert clouds.standins.requests == []


def test_a_host_header_does_not_move_a_signed_call(clouds: Clouds) -> None:
    status = raw_post(clouds, f"/gateway/bedrock_key/model/{CLAUDE}/converse", host="evil.example")

    assert status == 200  # the stand-in verified a signature made for its own host
    [seen] = clouds.upstream("runtime")
    assert seen.headers["host"].startswith("127.0.0.1")
    assert "x-forwarded-host" not in seen.headers


@pytest.mark.parametrize("key", CREDENTIALS)
def test_the_callers_credential_headers_never_reach_the_provider(clouds: Clouds, key: str) -> None:
    callers = {
        "api-key": clouds.token,
        "x-api-key": clouds.token,
        "x-goog-api-key": clouds.token,
        "x-goog-user-project": "someone-elses-project",
        "x-amz-security-token": "callers-session",
        "cookie": "sessionid=abc",
    }

    answer = call(clouds, key, headers=callers)

    assert answer.status_code == 200, answer.text
    [seen] = [s for s in clouds.standins.requests if not s.path.startswith(("/google", "/login"))]
    sent = json.dumps(seen.headers)
    assert clouds.token not in sent
    assert "someone-elses-project" not in sent
    assert "callers-session" not in sent
    assert "cookie" not in seen.headers


def test_a_rotated_bedrock_key_signs_the_next_request_while_streams_finish_on_theirs(
    clouds: Clouds, standins: Standins
) -> None:
    standins.chunks, standins.pause = 15, 0.02
    new_id, new_secret = "AKIAROTATEDEXAMPLE00", "N3wS3cretK3yRotat3dL0ngEnoughAbcdEFGhijk"
    standins.aws_keys[new_id] = (new_secret, "valid")
    url = f"{clouds.base('bedrock_key')}/model/{CLAUDE}/converse-stream"
    finished: dict[int, bytes] = {}

    def stream(n: int) -> None:
        with httpx.stream("POST", url, headers=clouds.auth(), json=BODY, timeout=60) as answer:
            finished[n] = b"".join(answer.iter_raw())

    runners = [threading.Thread(target=stream, args=(n,)) for n in range(3)]
    for runner in runners:
        runner.start()
    wait_for(lambda: len(clouds.upstream("runtime")) == 3, "three streams upstream")
    fields = {**samples.BEDROCK, "access_key_id": new_id, "secret_access_key": new_secret}
    set_credential("bedrock_key", "bedrock", fields)
    after = call(clouds, "bedrock_key")
    for runner in runners:
        runner.join(60)

    assert after.status_code == 200, after.text
    key_ids = [s.headers["authorization"].split("/")[0][-20:] for s in clouds.upstream("runtime")]
    assert key_ids == [samples.BEDROCK["access_key_id"]] * 3 + [new_id]
    assert len({len(body) for body in finished.values()}) == 1  # all three in full
    assert wait_for_requests(4)[0][2] == 4


def test_a_rotated_service_account_key_mints_a_new_token(
    clouds: Clouds, standins: Standins
) -> None:
    first = call(clouds, "vertex_key")
    key, pem = new_service_account_key()
    standins.google_accounts[samples.CLIENT_EMAIL] = key.public_key()  # the old key is revoked
    set_credential("vertex_key", "vertex_ai", samples.vertex_fields("us-central1", private_key=pem))

    second = call(clouds, "vertex_key")

    assert (first.status_code, second.status_code) == (200, 200)
    tokens = [seen.headers["authorization"] for seen in clouds.upstream("vertex")]
    assert len(set(tokens)) == 2
    assert len(standins.token_requests) == 2


def test_no_cloud_secret_leaks_into_answers_logs_audit_or_metrics(
    clouds: Clouds, standins: Standins, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [call(clouds, key) for key in CREDENTIALS]
    answers.append(call(clouds, "bedrock_key", json={"stream": True}))
    standins.entra_apps.clear()
    standins.aws_keys.clear()
    standins.google_accounts.clear()
    from tests.gateway.clouds.conftest import reset

    reset()  # forget minted tokens: the next mints are refused
    answers += [call(clouds, key) for key in CREDENTIALS]
    settings.KEYVAULT_BEDROCK_RUNTIME_BASE_URL = "http://127.0.0.1:9"  # nothing listens
    answers.append(call(clouds, "bedrock_key"))
    wait_for_requests(len(CREDENTIALS))

    statuses = [answer.status_code for answer in answers]
    assert 200 in statuses and 502 in statuses and 403 in statuses
    audit = json.dumps([event.details for event in AuditEvent.objects.all()])
    metrics = exposition().decode()
    for secret in canaries():
        for answer in answers:
            assert secret not in answer.text
            assert secret not in str(answer.headers)
        assert secret not in caplog.text
        assert secret not in audit
        assert secret not in metrics


class _Misrouted:
    slug = "bedrock"

    async def request(self, *args: object) -> object:
        raise UnsafeURLError("Refused to send a credential to a URL not on bedrock.example.")


def test_a_url_off_its_host_becomes_a_502_sentence_and_nothing_is_sent() -> None:
    route = Route("k", "/model/m/converse", "")

    with pytest.raises(NoAccess, match="Nothing was sent"):
        asyncio.run(authenticated_request(_Misrouted(), "POST", route, [], b""))  # type: ignore[arg-type]
