"""The gateway's metrics, read the way Prometheus reads them: `/metrics` scraped after real calls
through the gateway to the stub provider. Counters are process-wide, so tests compare scrapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from settings_app.gateway import recording

from .conftest import KEYS, Gateway, wait_for
from .stub_provider import ANTHROPIC_USAGE, MODEL, OPENAI_USAGE

METRICS_TOKEN = "scrape-" + "Gw7Lq2Vz9Xn4Tb8Kc1Rm6Hp3"
CHAT = "/gateway/openai_api_key/v1/chat/completions"
MESSAGES = "/gateway/anthropic_api_key/v1/messages"
BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def metrics_on(settings: Any) -> str:
    settings.KEYVAULT_METRICS_TOKEN = METRICS_TOKEN
    settings.ALLOWED_HOSTS = ["127.0.0.1"]  # /metrics is Django's, served beside the gateway
    return METRICS_TOKEN


def scrape_text(gateway: Gateway) -> str:
    answer = httpx.get(
        gateway.url + "/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def scrape(gateway: Gateway) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scrape_text(gateway))
        for sample in family.samples
    }


def grown(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def call(gateway: Gateway, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {kwargs.pop('token', gateway.token)}"}
    return httpx.post(gateway.url + path, headers=headers, json=BODY, timeout=60, **kwargs)


def stream_anthropic(gateway: Gateway) -> httpx.Response:
    headers = {"x-api-key": gateway.token}
    body = {**BODY, "stream": True, "max_tokens": 5}
    with httpx.stream(
        "POST", gateway.url + MESSAGES, headers=headers, json=body, timeout=60
    ) as answer:
        answer.read()
    return answer


def kv_seconds(answer: httpx.Response) -> float:
    return float(answer.headers["server-timing"].partition("dur=")[2]) / 1000


def test_requests_tokens_and_times_are_counted_by_provider(
    gateway: Gateway, metrics_on: str
) -> None:
    gateway.stub.chunks, gateway.stub.delay = 5, 0.05
    before = scrape(gateway)

    answers = [call(gateway, CHAT), call(gateway, CHAT), stream_anthropic(gateway)]
    gateway.stub.status = 429
    answers.append(call(gateway, CHAT))
    unknown = call(gateway, "/gateway/no_such_key/v1/chat/completions")
    unauthorized = call(gateway, CHAT, token="kvt_" + "x" * 40)

    after = scrape(gateway)
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert (unknown.status_code, unauthorized.status_code) == (404, 401)
    requests = "keyvault_gateway_requests_total"
    assert grown(before, after, requests, provider="openai", status="200") == 2
    assert grown(before, after, requests, provider="openai", status="429") == 1
    assert grown(before, after, requests, provider="anthropic", status="200") == 1
    refusals = "keyvault_gateway_refusals_total"
    assert grown(before, after, refusals, status="404") == 1
    assert grown(before, after, refusals, status="401") == 1
    tokens = "keyvault_gateway_tokens_total"
    i, cache_read, cache_creation, o = ANTHROPIC_USAGE
    assert grown(before, after, tokens, provider="openai", direction="input") == 3 * OPENAI_USAGE[0]
    assert (
        grown(before, after, tokens, provider="openai", direction="output") == 3 * OPENAI_USAGE[1]
    )
    assert grown(before, after, tokens, provider="anthropic", direction="input") == (
        i + cache_read + cache_creation
    )
    assert grown(before, after, tokens, provider="anthropic", direction="output") == o
    added, upstream = "keyvault_gateway_added_seconds", "keyvault_gateway_upstream_seconds"
    for provider, count in (("openai", 3), ("anthropic", 1)):
        assert grown(before, after, f"{added}_count", provider=provider) == count
        assert grown(before, after, f"{upstream}_count", provider=provider) == count
    # keyvault's added time is the Server-Timing figure each caller saw (to its 0.01 ms rounding).
    seen = sum(kv_seconds(answer) for answer in answers)
    measured = sum(
        grown(before, after, f"{added}_sum", provider=p) for p in ("openai", "anthropic")
    )
    assert measured == pytest.approx(seen, abs=4 * 0.00001)
    # The stream took 11 events, 50 ms apart, upstream.
    assert grown(before, after, f"{upstream}_sum", provider="anthropic") >= 0.5


def test_an_unreachable_provider_is_counted_as_502(
    gateway: Gateway, metrics_on: str, settings: Any
) -> None:
    settings.KEYVAULT_OPENAI_BASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    before = scrape(gateway)

    assert call(gateway, CHAT).status_code == 502

    after = scrape(gateway)
    requests = "keyvault_gateway_requests_total"
    assert grown(before, after, requests, provider="openai", status="502") == 1
    assert grown(before, after, "keyvault_gateway_upstream_seconds_count", provider="openai") == 1
    assert grown(before, after, "keyvault_gateway_refusals_total", status="502") == 0


def test_an_answer_without_usage_is_counted_unmetered(gateway: Gateway, metrics_on: str) -> None:
    before = scrape(gateway)

    answer = httpx.get(
        gateway.url + "/gateway/openai_api_key/v1/models",
        headers={"authorization": f"Bearer {gateway.token}"},
        timeout=60,
    )

    after = scrape(gateway)
    assert answer.json()["object"] == "list"  # a listing reports no usage
    assert grown(before, after, "keyvault_gateway_unmetered_total", provider="openai") == 1


def test_a_failed_usage_flush_is_counted(
    gateway: Gateway, metrics_on: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(*args: Any) -> None:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(recording, "write", unavailable)
    before = scrape(gateway)

    assert call(gateway, CHAT).status_code == 200  # the failure never reaches the caller

    name = "keyvault_gateway_recording_failures_total"
    wait_for(lambda: grown(before, scrape(gateway), name) >= 1, "a counted flush failure")


def test_no_token_key_name_or_provider_key_reaches_the_metrics(
    gateway: Gateway, metrics_on: str
) -> None:
    call(gateway, CHAT)
    stream_anthropic(gateway)
    call(gateway, "/gateway/gemini_api_key/v1beta/models/gemini-2.0-flash:generateContent")
    call(gateway, "/gateway/no_such_key/v1/chat/completions")
    call(gateway, CHAT, token=gateway.token[:-2] + "zz")

    text = scrape_text(gateway)

    assert "keyvault_gateway_requests_total" in text
    canaries = [gateway.token, gateway.token[:-2] + "zz", "gateway-user", "no_such_key",
                *KEYS, *(value for _, value in KEYS.values()), *MODEL.values()]  # fmt: skip
    assert [canary for canary in canaries if canary in text] == []
