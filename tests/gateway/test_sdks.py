"""Stock OpenAI and Anthropic SDKs, with only base_url and api_key changed, through the gateway."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import openai
import pytest

from .conftest import KEYS, Gateway, closed_after_test, wait_for_requests
from .stub_provider import ANTHROPIC_USAGE, GEMINI_USAGE, MODEL, OPENAI_USAGE

MESSAGES: Any = [{"role": "user", "content": "hello"}]
OPENAI_KEY = KEYS["openai_api_key"][1]
ANTHROPIC_KEY = KEYS["anthropic_api_key"][1]
GEMINI_KEY = KEYS["gemini_api_key"][1]


def openai_client(gateway: Gateway) -> openai.OpenAI:
    return closed_after_test(
        openai.OpenAI(
            base_url=gateway.base("openai_api_key") + "/v1", api_key=gateway.token, max_retries=0
        )
    )


def anthropic_client(gateway: Gateway) -> anthropic.Anthropic:
    return closed_after_test(
        anthropic.Anthropic(
            base_url=gateway.base("anthropic_api_key"), api_key=gateway.token, max_retries=0
        )
    )


def test_openai_sdk_completion_carries_the_stored_key_and_is_metered(gateway: Gateway) -> None:
    completion = openai_client(gateway).chat.completions.create(model="gpt-x", messages=MESSAGES)

    assert completion.choices[0].message.content == "hi"
    seen = gateway.stub.seen[-1]
    assert seen.raw_path == "/openai/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert gateway.token not in json.dumps(seen.headers)
    assert wait_for_requests(1) == [("openai_api_key", MODEL["openai"], 1, *OPENAI_USAGE, 0)]


def test_openai_sdk_stream_keeps_choices_loops_working_and_is_metered(gateway: Gateway) -> None:
    gateway.stub.chunks = 6
    stream = openai_client(gateway).chat.completions.create(
        model="gpt-x", messages=MESSAGES, stream=True
    )

    texts = [chunk.choices[0].delta.content for chunk in stream]  # no usage-only chunk

    assert texts == [f"c{n} " for n in range(6)]
    sent = json.loads(gateway.stub.seen[-1].body)
    assert sent["stream_options"] == {"include_usage": True}
    assert wait_for_requests(1) == [("openai_api_key", MODEL["openai"], 1, *OPENAI_USAGE, 0)]


def test_a_caller_who_asked_for_usage_gets_it(gateway: Gateway) -> None:
    stream = openai_client(gateway).chat.completions.create(
        model="gpt-x", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )

    usages = [chunk.usage for chunk in stream if chunk.usage is not None]

    assert [(u.prompt_tokens, u.completion_tokens) for u in usages] == [OPENAI_USAGE]
    assert wait_for_requests(1)[0][3:5] == OPENAI_USAGE


@pytest.mark.parametrize("streamed", [False, True])
def test_anthropic_sdk_counts_cache_tokens_as_input_and_assigns_output(
    gateway: Gateway, streamed: bool
) -> None:
    client = anthropic_client(gateway)
    if streamed:
        with client.messages.stream(model="c", max_tokens=10, messages=MESSAGES) as stream:
            text = "".join(stream.text_stream)
        assert text == "".join(f"c{n} " for n in range(gateway.stub.chunks))
    else:
        message = client.messages.create(model="c", max_tokens=10, messages=MESSAGES)
        assert message.content[0].text == "hi"  # type: ignore[union-attr]

    seen = gateway.stub.seen[-1]
    assert seen.headers["x-api-key"] == ANTHROPIC_KEY
    assert "authorization" not in seen.headers
    assert (
        seen.headers["anthropic-version"]
        == anthropic_client(gateway).default_headers["anthropic-version"]
    )  # the caller's own version is kept
    i, cache_read, cache_creation, o = ANTHROPIC_USAGE
    expected = ("anthropic_api_key", MODEL["anthropic"], 1, i + cache_read + cache_creation, o, 0)
    assert wait_for_requests(1) == [expected]


def test_anthropic_bearer_style_token_is_accepted(gateway: Gateway) -> None:
    client = closed_after_test(
        anthropic.Anthropic(
            base_url=gateway.base("anthropic_api_key"), auth_token=gateway.token, max_retries=0
        )
    )

    client.messages.create(model="c", max_tokens=10, messages=MESSAGES)

    assert gateway.stub.seen[-1].headers["x-api-key"] == ANTHROPIC_KEY
    assert "authorization" not in gateway.stub.seen[-1].headers


@pytest.mark.parametrize("streamed", [False, True])
def test_gemini_usage_metadata_is_metered(gateway: Gateway, streamed: bool) -> None:
    method = "streamGenerateContent?alt=sse" if streamed else "generateContent"
    url = f"{gateway.base('gemini_api_key')}/v1beta/models/gemini-x:{method}"

    answer = httpx.post(url, headers={"x-goog-api-key": gateway.token}, json={"contents": []})

    assert answer.status_code == 200
    seen = gateway.stub.seen[-1]
    assert seen.headers["x-goog-api-key"] == GEMINI_KEY
    assert seen.raw_path == f"/gemini/v1beta/models/gemini-x:{method}"
    p, c, t = GEMINI_USAGE
    assert wait_for_requests(1) == [("gemini_api_key", MODEL["gemini"], 1, p, c + t, 0)]


def test_anthropic_version_is_added_only_when_the_caller_sent_none(gateway: Gateway) -> None:
    url = gateway.base("anthropic_api_key") + "/v1/messages"
    body = {"model": "c", "max_tokens": 1, "messages": MESSAGES}

    httpx.post(url, headers={"x-api-key": gateway.token}, json=body)
    added = gateway.stub.seen[-1].headers
    httpx.post(
        url, headers={"x-api-key": gateway.token, "anthropic-version": "2099-01-01"}, json=body
    )
    kept = gateway.stub.seen[-1].headers

    assert added["anthropic-version"] == "2023-06-01"
    assert kept["anthropic-version"] == "2099-01-01"


def test_azure_style_api_key_header_is_accepted(gateway: Gateway) -> None:
    answer = httpx.post(
        gateway.base("openai_api_key") + "/v1/chat/completions",
        headers={"api-key": gateway.token},
        json={"model": "m", "messages": MESSAGES},
    )

    assert answer.status_code == 200
    assert "api-key" not in gateway.stub.seen[-1].headers


def test_answers_carry_server_timing_and_no_buffering(gateway: Gateway) -> None:
    answer = httpx.post(
        gateway.base("openai_api_key") + "/v1/chat/completions?trace=1",
        headers={"authorization": f"Bearer {gateway.token}"},
        json={"model": "m", "messages": MESSAGES},
    )

    assert answer.headers["x-accel-buffering"] == "no"
    assert answer.headers["server-timing"].startswith("kv;dur=")
    assert gateway.stub.seen[-1].raw_path == "/openai/v1/chat/completions?trace=1"
    assert answer.content == json.dumps(answer.json()).encode()  # byte for byte


def test_the_daily_limit_stops_a_token_once_its_usage_reaches_it(gateway: Gateway) -> None:
    from settings_app.api import services

    capped = services.create_token("capped", [], gateway_scope=["*"], daily_token_limit=30).secret
    client = closed_after_test(
        openai.OpenAI(
            base_url=gateway.base("openai_api_key") + "/v1", api_key=capped, max_retries=0
        )
    )

    for _ in range(2):  # 18 tokens each: under the limit before each call
        client.chat.completions.create(model="m", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as refused:
        client.chat.completions.create(model="m", messages=MESSAGES)

    assert "daily limit of 30 tokens" in str(refused.value)
    assert int(refused.value.response.headers["retry-after"]) > 0
    assert len(gateway.stub.seen) == 2
