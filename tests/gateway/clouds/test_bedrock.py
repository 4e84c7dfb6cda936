"""Bedrock through the gateway: each request SigV4-signed by keyvault (the stand-in recomputes the
signature with botocore over what it received), streamed answers relayed byte for byte and
metered from their event-stream frames."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.config
import botocore.session
import httpx
import pytest
from botocore.eventstream import EventStreamBuffer

from settings_app.credentials.aws_signing import signed_headers
from tests.credentials import samples
from tests.deploy.servers import make_certificates
from tests.gateway.conftest import wait_for_requests
from tests.gateway.servers import serving
from tests.support.cloud_standins import (
    BEDROCK_CLAUDE_USAGE,
    CONVERSE_USAGE,
    LLAMA_USAGE,
    MODEL,
    Standins,
    _signature_holds,
    converse_frames,
)
from tests.support.standin_server import Seen

from .conftest import AWS_SECRET, BEDROCK_API_KEY, Clouds

CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1:0"
ENCODED = "anthropic.claude-3-5-haiku-20241022-v1%3A0"  # as AWS SDKs send it
INVOKE_BODY = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": []}
CONVERSE_BODY = {"messages": [{"role": "user", "content": [{"text": "hello"}]}]}
CLAUDE_INPUT = sum(BEDROCK_CLAUDE_USAGE[:3])


def call(clouds: Clouds, operation: str, body: Any, key: str = "bedrock_key") -> httpx.Response:
    return httpx.post(
        f"{clouds.base(key)}/model/{ENCODED}/{operation}",
        headers=clouds.auth(),
        content=json.dumps(body).encode(),
        timeout=60,
    )


def test_invoke_is_signed_over_the_exact_path_and_body_and_metered(clouds: Clouds) -> None:
    answer = call(clouds, "invoke", INVOKE_BODY)

    assert answer.status_code == 200, answer.text  # the stand-in verified the signature
    [seen] = clouds.upstream("runtime")
    assert seen.path == f"/runtime/model/{ENCODED}/invoke"
    assert seen.body == json.dumps(INVOKE_BODY).encode()
    assert seen.headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential={samples.BEDROCK['access_key_id']}/"
    )
    assert clouds.token not in json.dumps(seen.headers)
    assert wait_for_requests(1) == [("bedrock_key", MODEL, 1, CLAUDE_INPUT, 12, 0)]


def test_invoke_of_a_model_whose_body_has_no_usage_is_metered_from_bedrocks_headers(
    clouds: Clouds,
) -> None:
    llama = "meta.llama3-8b-instruct-v1%3A0"
    answer = httpx.post(
        f"{clouds.base('bedrock_key')}/model/{llama}/invoke",
        headers=clouds.auth(),
        content=json.dumps({"prompt": "hi", "max_gen_len": 5}).encode(),
        timeout=60,
    )

    assert answer.status_code == 200, answer.text
    [(_, _, requests, input_tokens, output_tokens, unmetered)] = wait_for_requests(1)
    assert (requests, input_tokens, output_tokens, unmetered) == (1, *LLAMA_USAGE, 0)


def test_converse_is_metered_from_its_usage_and_named_by_the_path_model(clouds: Clouds) -> None:
    answer = call(clouds, "converse", CONVERSE_BODY)

    assert answer.json()["output"]["message"]["content"] == [{"text": "hi"}]
    i, cache_read, o = CONVERSE_USAGE
    assert wait_for_requests(1) == [("bedrock_key", CLAUDE, 1, i + cache_read, o, 0)]


def test_a_signed_query_string_and_caller_headers_verify_too(clouds: Clouds) -> None:
    answer = httpx.post(
        f"{clouds.base('bedrock_key')}/model/{ENCODED}/invoke?trace=ENABLED&a=b%20c",
        headers={
            **clouds.auth(),
            "x-amzn-bedrock-guardrailversion": "1",
            "x-amz-security-token": "the-callers-own",
            "x-amz-date": "20000101T000000Z",
        },
        json=INVOKE_BODY,
    )

    assert answer.status_code == 200, answer.text
    [seen] = clouds.upstream("runtime")
    assert seen.headers["x-amzn-bedrock-guardrailversion"] == "1"
    assert "x-amz-security-token" not in seen.headers  # the caller's: dropped, not signed
    assert seen.headers["x-amz-date"] != "20000101T000000Z"


@pytest.mark.parametrize(
    ("operation", "body", "usage", "model"),
    [
        ("invoke-with-response-stream", INVOKE_BODY, (CLAUDE_INPUT, 12), MODEL),
        ("converse-stream", CONVERSE_BODY, (CONVERSE_USAGE[0] + CONVERSE_USAGE[1], 6), CLAUDE),
    ],
)
def test_event_streams_are_relayed_byte_for_byte_and_metered(
    clouds: Clouds, operation: str, body: Any, usage: tuple[int, int], model: str
) -> None:
    clouds.standins.chunks, clouds.standins.pause = 8, 0.01
    with httpx.stream(
        "POST",
        f"{clouds.base('bedrock_key')}/model/{ENCODED}/{operation}",
        headers=clouds.auth(),
        json=body,
        timeout=60,
    ) as answer:
        received = b"".join(answer.iter_raw())
        content_type = answer.headers["content-type"]

    buffer = EventStreamBuffer()
    buffer.add_data(received)
    events = [message.headers[":event-type"] for message in buffer]
    assert content_type == "application/vnd.amazon.eventstream"
    assert len(events) == (14 if operation.startswith("invoke") else 11)
    if operation == "converse-stream":
        assert received == b"".join(converse_frames(8))  # unchanged
    assert wait_for_requests(1) == [("bedrock_key", model, 1, *usage, 0)]


def test_a_bedrock_api_key_goes_as_the_bearer_and_the_callers_token_does_not(
    clouds: Clouds,
) -> None:
    answer = call(clouds, "converse", CONVERSE_BODY, key="bedrock_bearer")

    assert answer.status_code == 200
    [seen] = clouds.upstream("runtime")
    assert seen.headers["authorization"] == f"Bearer {BEDROCK_API_KEY}"


def test_a_request_signed_with_another_secret_is_refused_upstream(
    clouds: Clouds, standins: Standins
) -> None:
    standins.aws_keys[samples.BEDROCK["access_key_id"]] = ("x" * 40, "valid")

    answer = call(clouds, "invoke", INVOKE_BODY)

    assert answer.status_code == 403
    assert answer.headers["x-amzn-errortype"].startswith("InvalidSignatureException")
    assert AWS_SECRET not in answer.text


def test_the_stand_in_checks_the_body_and_path_the_signature_covers() -> None:
    """The stand-in's check is not vacuous: another body or path breaks the signature."""
    fields = {**samples.BEDROCK, "secret_access_key": AWS_SECRET}
    url = f"http://127.0.0.1:9/runtime/model/{ENCODED}/invoke"
    body = json.dumps(INVOKE_BODY).encode()
    headers = signed_headers(fields, "POST", url, {"content-type": "application/json"}, body)
    authorization = headers["Authorization"]
    signed, signature = authorization.split("SignedHeaders=")[1].split(", Signature=")
    sent = {k.lower(): v for k, v in headers.items()} | {"host": "127.0.0.1:9"}
    key_id, region = samples.BEDROCK["access_key_id"], samples.BEDROCK["region"]

    def holds(path: str, data: bytes) -> bool:
        seen = Seen("POST", path, sent, data)
        return _signature_holds(seen, key_id, AWS_SECRET, region, signed, signature)

    assert holds(f"/runtime/model/{ENCODED}/invoke", body)
    assert not holds(f"/runtime/model/{ENCODED}/invoke", body + b" ")
    assert not holds(f"/runtime/model/{ENCODED}/converse", body)


def test_a_stock_botocore_client_works_with_the_keyvault_token_as_its_bedrock_bearer(
    clouds: Clouds, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """botocore sends AWS_BEARER_TOKEN_BEDROCK as `Authorization: Bearer` (over HTTPS only);
    keyvault signs the call with the stored AWS key."""
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", clouds.token)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata lookups
    clouds.standins.chunks = 4
    tls = make_certificates(tmp_path)
    messages = [{"role": "user", "content": [{"text": "hello"}]}]
    from keyvault_site.asgi import application

    tls_options = {"ssl_certfile": str(tls.certificate), "ssl_keyfile": str(tls.key)}
    with serving(application, **tls_options) as url:
        client = botocore.session.get_session().create_client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=url.replace("http:", "https:") + "/gateway/bedrock_key",
            verify=str(tls.ca),
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )
        # One connection per call: a kept-alive one would hold the server's shutdown.
        client.meta.events.register("before-send", _close_after_each_call)
        answer = client.converse(modelId=CLAUDE, messages=messages)
        streamed = client.converse_stream(modelId=CLAUDE, messages=messages)
        events = [next(iter(event)) for event in streamed["stream"]]  # parsed by botocore

    assert answer["usage"]["outputTokens"] == CONVERSE_USAGE[2]
    assert events[0] == "messageStart" and events[-1] == "metadata" and len(events) == 7
    assert [seen.path for seen in clouds.upstream("runtime")] == [
        f"/runtime/model/{ENCODED}/converse",
        f"/runtime/model/{ENCODED}/converse-stream",
    ]
    assert all(clouds.token not in json.dumps(seen.headers) for seen in clouds.standins.requests)
    i, cache_read, o = CONVERSE_USAGE
    assert wait_for_requests(2) == [("bedrock_key", CLAUDE, 2, 2 * (i + cache_read), 2 * o, 0)]


def _close_after_each_call(request: Any, **_: Any) -> None:
    request.headers["Connection"] = "close"
