"""Usage read from whole bodies and from events split anywhere; recording never fails a call."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settings_app.api import services
from settings_app.gateway import recording, requests
from settings_app.gateway.metering import Meter
from settings_app.gateway.recording import Recorder
from settings_app.gateway.usage import ANTHROPIC, GEMINI, OPENAI, Usage

OPENAI_STREAM = (
    b'data: {"model": "m1", "choices": [{"delta": {"content": "a"}}]}\n\n'
    b'data: {"model": "m1", "choices": [], "usage": {"prompt_tokens": 4, '
    b'"completion_tokens": 6}}\n\n'
    b"data: [DONE]\n\n"
)


def metered(
    family: str, body: bytes, *, streamed: bool, strip: bool = False
) -> tuple[bytes, Usage]:
    meter = Meter(family, strip_usage_chunk=strip, model="asked")
    meter.start({"content-type": "text/event-stream" if streamed else "application/json"})
    relayed = meter.feed(body)
    rest, usage = meter.finish()
    return relayed + rest, usage


@given(st.lists(st.integers(min_value=1, max_value=len(OPENAI_STREAM) - 1), max_size=6))
def test_events_split_anywhere_are_read_and_the_injected_usage_chunk_removed(
    cuts: list[int],
) -> None:
    meter = Meter(OPENAI, strip_usage_chunk=True, model="asked")
    meter.start({"content-type": "text/event-stream; charset=utf-8"})
    bounds = [0, *sorted(set(cuts)), len(OPENAI_STREAM)]
    relayed = b"".join(meter.feed(OPENAI_STREAM[a:b]) for a, b in itertools.pairwise(bounds))
    rest, usage = meter.finish()

    assert (usage.input_tokens, usage.output_tokens, usage.model) == (4, 6, "m1")
    assert b'"choices": []' not in relayed + rest
    assert (relayed + rest).count(b"\n\n") == 2  # the content chunk and [DONE]


def test_a_stream_the_caller_asked_usage_for_passes_untouched() -> None:
    relayed, usage = metered(OPENAI, OPENAI_STREAM, streamed=True, strip=False)

    assert relayed == OPENAI_STREAM
    assert usage.metered


def test_the_responses_api_usage_is_read() -> None:
    usage_figures = {"input_tokens": 3, "output_tokens": 8}
    event = {"type": "response.completed", "response": {"model": "m2", "usage": usage_figures}}
    _, usage = metered(OPENAI, f"data: {json.dumps(event)}\n\n".encode(), streamed=True)

    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("m2", 3, 8)


def test_anthropic_message_delta_is_assigned_not_added() -> None:
    events = [
        {"type": "message_start", "message": {"model": "c", "usage": {
            "input_tokens": 10, "cache_read_input_tokens": 100, "output_tokens": 1}}},
        {"type": "message_delta", "usage": {"output_tokens": 5}},
        {"type": "message_delta", "usage": {"output_tokens": 12}},
    ]  # fmt: skip
    body = b"".join(f"event: x\ndata: {json.dumps(e)}\n\n".encode() for e in events)

    _, usage = metered(ANTHROPIC, body, streamed=True)

    assert (usage.input_tokens, usage.output_tokens) == (110, 12)


def test_gemini_arrays_without_sse_are_read_whole() -> None:
    body = json.dumps([
        {"usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 1}},
        {"usageMetadata": {"promptTokenCount": 2, "candidatesTokenCount": 9}, "modelVersion": "g"},
    ]).encode()  # fmt: skip

    _, usage = metered(GEMINI, body, streamed=False)

    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("g", 2, 9)


@pytest.mark.parametrize("body", [b"", b"not json", b'{"error": "x"}', b"[1, 2]"])
def test_answers_without_usage_are_unmetered_with_the_requested_model(body: bytes) -> None:
    relayed, usage = metered(OPENAI, body, streamed=False)

    assert relayed == body
    assert (usage.metered, usage.model, usage.input_tokens) == (False, "asked", 0)


def test_only_streamed_openai_chat_completions_without_the_option_are_rewritten() -> None:
    stream = json.dumps({"model": "m", "stream": True, "messages": []}).encode()
    asked = json.dumps({"model": "m", "stream": True,
                        "stream_options": {"include_usage": False}}).encode()  # fmt: skip

    injected = requests.prepare("openai", OPENAI, "/v1/chat/completions", stream)
    kept = requests.prepare("openai", OPENAI, "/v1/chat/completions", asked)
    other = requests.prepare("mistral", OPENAI, "/v1/chat/completions", stream)
    gemini = requests.prepare("gemini", GEMINI, "/v1beta/models/gem-1:generateContent", b"{}")

    assert json.loads(injected.body)["stream_options"] == {"include_usage": True}
    assert injected.injected_usage and injected.model == "m"
    assert kept.body == asked and not kept.injected_usage
    assert other.body == stream
    assert gemini.model == "gem-1"


@pytest.mark.django_db(transaction=True)
def test_a_failed_flush_is_logged_counted_and_kept_for_the_next(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from settings_app.models import GatewayUsage

    token = services.create_token("worker", [], gateway_scope=["*"]).token
    recorder = Recorder()
    original = recording.write
    calls: list[Any] = []

    def failing_once(*args: Any) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("database unavailable")
        original(*args)

    monkeypatch.setattr(recording, "write", failing_once)
    recorder.add(token, "openai_api_key", Usage("m", 3, 4, metered=True), "127.0.0.1")

    with caplog.at_level(logging.ERROR):
        asyncio.run(recorder.flush())
    asyncio.run(recorder.flush())

    assert recorder.failures == 1
    assert "Could not record gateway usage" in caplog.text
    row = GatewayUsage.objects.get()
    assert (row.requests, row.input_tokens, row.output_tokens) == (1, 3, 4)
