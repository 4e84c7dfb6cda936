"""Streams: chunk by chunk, usage kept when callers disconnect, rotation while streams run."""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
from typing import Any

import httpx
import pytest

from settings_app.models import AuditEvent, Setting

from .conftest import KEYS, Gateway, wait_for, wait_for_requests
from .stub_provider import ANTHROPIC_USAGE, OPENAI_USAGE

CHAT = "/gateway/openai_api_key/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "hi"}]
TRIALS = 8


def stream_body(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": MESSAGES, "stream": True, **extra}


def auth(gateway: Gateway) -> dict[str, str]:
    return {"authorization": f"Bearer {gateway.token}"}


def test_chunks_arrive_one_by_one_as_they_are_sent(gateway: Gateway) -> None:
    gateway.stub.chunks, gateway.stub.delay = 20, 0.02

    with httpx.stream(
        "POST", gateway.url + CHAT, headers=auth(gateway), json=stream_body(), timeout=60
    ) as answer:
        chunks = list(answer.iter_raw())

    events = [chunk for chunk in chunks if chunk.startswith(b"data: {")]
    assert len(events) == 20  # each stub event arrived as its own chunk, none coalesced
    assert chunks[-1] == b"data: [DONE]\n\n"
    assert all(b'"choices": []' not in chunk for chunk in chunks)  # the usage chunk removed


def _disconnect_after(gateway: Gateway, chunks_read: int) -> None:
    """Read `chunks_read` chunks of an answer (0: none, not even the head), then hang up."""
    if chunks_read == 0:
        _hang_up_once_upstream(gateway, stream_body())
        return
    with httpx.stream(
        "POST", gateway.url + CHAT, headers=auth(gateway), json=stream_body(), timeout=60
    ) as answer:
        for _, _chunk in zip(range(chunks_read), answer.iter_raw(), strict=False):
            pass


def _hang_up_once_upstream(gateway: Gateway, payload: dict[str, Any]) -> None:
    """Send a request, wait until it reached the provider, then close the connection."""
    body = json.dumps(payload).encode()
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {gateway.token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    port = httpx.URL(gateway.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        wait_for(lambda: len(gateway.stub.seen) > 0, "the upstream request")


def test_callers_who_disconnect_at_random_points_lose_no_usage(gateway: Gateway) -> None:
    gateway.stub.chunks, gateway.stub.delay = 10, 0.01
    rng = random.Random(28)
    points = [0, 1, *(rng.randrange(1, 12) for _ in range(TRIALS - 2))]

    for trial, point in enumerate(points, start=1):
        gateway.stub.seen.clear()
        _disconnect_after(gateway, point)
        rows = wait_for_requests(trial)
        assert rows == [
            ("openai_api_key", "gpt-stub-1", trial, OPENAI_USAGE[0] * trial,
             OPENAI_USAGE[1] * trial, 0)
        ], f"trial {trial}, disconnected after {point} chunks"  # fmt: skip


def test_a_non_streamed_caller_who_disconnects_before_the_answer_loses_no_usage(
    gateway: Gateway,
) -> None:
    gateway.stub.hang = 0.3  # the caller hangs up while the provider is still working

    _hang_up_once_upstream(gateway, {"model": "m", "messages": MESSAGES})

    assert wait_for_requests(1) == [("openai_api_key", "gpt-stub-1", 1, *OPENAI_USAGE, 0)]


def test_an_anthropic_stream_cut_short_keeps_its_final_output_figure(gateway: Gateway) -> None:
    gateway.stub.chunks, gateway.stub.delay = 10, 0.01

    with httpx.stream(
        "POST",
        gateway.url + "/gateway/anthropic_api_key/v1/messages",
        headers={"x-api-key": gateway.token},
        json=stream_body(max_tokens=5),
        timeout=60,
    ) as answer:
        next(answer.iter_raw())

    i, cache_read, cache_creation, o = ANTHROPIC_USAGE
    assert wait_for_requests(1)[0][3:5] == (i + cache_read + cache_creation, o)


def test_a_rotated_key_applies_to_the_next_request_while_streams_finish_on_theirs(
    gateway: Gateway,
) -> None:
    gateway.stub.chunks, gateway.stub.delay = 15, 0.02
    old = KEYS["openai_api_key"][1]
    new = old.replace("CANARY", "ROTATED")
    results: dict[str, int] = {}

    def stream(name: str) -> None:
        with httpx.stream(
            "POST", gateway.url + CHAT, headers=auth(gateway), json=stream_body(), timeout=60
        ) as answer:
            results[name] = sum(1 for c in answer.iter_raw() if c.startswith(b"data: {"))

    runners = [threading.Thread(target=stream, args=(f"s{n}",)) for n in range(3)]
    for runner in runners:
        runner.start()
    wait_for(lambda: len(gateway.stub.seen) == 3, "three streams upstream")
    setting = Setting.objects.get(key="openai_api_key")
    setting.value = new
    setting.save()
    httpx.post(gateway.url + CHAT, headers=auth(gateway), json={"model": "m", "messages": []})
    for runner in runners:
        runner.join(60)

    keys = [seen.headers["authorization"] for seen in gateway.stub.seen]
    assert keys == [f"Bearer {old}"] * 3 + [f"Bearer {new}"]
    assert results == {"s0": 15, "s1": 15, "s2": 15}  # the streams finished, in full


def test_the_provider_key_never_leaks(
    gateway: Gateway, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [
        httpx.post(gateway.url + CHAT, headers=auth(gateway), json={"model": "m"}),
        httpx.post(gateway.url + CHAT, headers=auth(gateway), json=stream_body()),
        httpx.post(gateway.url + CHAT, json={}),
        httpx.post(gateway.url + "/gateway/openai_api_key/v1/%2e%2e/x", headers=auth(gateway)),
    ]
    settings.KEYVAULT_OPENAI_BASE_URL = "http://127.0.0.1:9"
    answers.append(httpx.post(gateway.url + CHAT, headers=auth(gateway), json={}))
    wait_for_requests(2)

    for key in (value for _, value in KEYS.values()):
        for answer in answers:
            assert key not in answer.text
            assert key not in str(answer.headers)
        assert key not in caplog.text
        assert not any(key in json.dumps(e.details) for e in AuditEvent.objects.all())
