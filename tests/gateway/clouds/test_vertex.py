"""Vertex AI through the gateway: an access token minted by keyvault with google-auth from the
stored service-account key, cached until shortly before expiry, never minted on the event loop;
Gemini and Anthropic-on-Vertex answers metered, streamed and not."""

from __future__ import annotations

import json
import threading
from typing import Any

import anthropic
import httpx

from tests.gateway.conftest import closed_after_test, wait_for_requests
from tests.support.cloud_standins import GEMINI_USAGE, MODEL, VERTEX_CLAUDE_USAGE, Standins
from tests.support.standin_server import Reply, Seen

from .conftest import LOCATION, PROJECT, Clouds

MODELS = f"/v1/projects/{PROJECT}/locations/{LOCATION}/publishers"
GEMINI = f"{MODELS}/google/models/gemini-2.0-flash-001"
CONTENTS = {"contents": [{"role": "user", "parts": [{"text": "hello"}]}]}
MESSAGES: Any = [{"role": "user", "content": "hello"}]
GEMINI_RECORD = ("vertex_key", MODEL, GEMINI_USAGE[0], GEMINI_USAGE[1] + GEMINI_USAGE[2])


def generate(clouds: Clouds, method: str = "generateContent", **options: Any) -> httpx.Response:
    url = f"{clouds.base('vertex_key')}{GEMINI}:{method}"
    return httpx.post(url, headers=clouds.auth(), json=CONTENTS, timeout=60, **options)


def test_generate_content_carries_a_minted_token_once_for_many_calls(clouds: Clouds) -> None:
    answers = [generate(clouds) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200] * 3
    [minted] = clouds.standins.issued  # one token request for three calls
    calls = clouds.upstream("vertex")
    assert [seen.headers["authorization"] for seen in calls] == [f"Bearer {minted}"] * 3
    assert calls[0].path == f"/vertex{GEMINI}:generateContent"
    assert clouds.token not in json.dumps([seen.headers for seen in calls])
    name, model, i, o = GEMINI_RECORD
    assert wait_for_requests(3) == [(name, model, 3, 3 * i, 3 * o, 0)]


def test_a_streamed_generate_content_is_relayed_and_metered(clouds: Clouds) -> None:
    clouds.standins.chunks = 7

    answer = generate(clouds, "streamGenerateContent", params={"alt": "sse"})

    assert answer.text.count("data: ") == 7
    name, model, i, o = GEMINI_RECORD
    assert wait_for_requests(1) == [(name, model, 1, i, o, 0)]


def test_the_anthropic_vertex_sdk_works_with_base_url_and_access_token(clouds: Clouds) -> None:
    client = closed_after_test(
        anthropic.AnthropicVertex(
            region=LOCATION,
            project_id=PROJECT,
            access_token=clouds.token,
            base_url=clouds.base("vertex_key") + "/v1",
            max_retries=0,
        )
    )

    message = client.messages.create(
        model="claude-3-5-sonnet-v2@20241022", max_tokens=5, messages=MESSAGES
    )
    with client.messages.stream(
        model="claude-3-5-sonnet-v2@20241022", max_tokens=5, messages=MESSAGES
    ) as stream:
        streamed = stream.get_final_message()

    assert message.content[0].type == "text"
    assert streamed.usage.output_tokens == VERTEX_CLAUDE_USAGE[3]
    paths = [seen.path for seen in clouds.upstream("vertex")]
    assert paths == [
        f"/vertex{MODELS}/anthropic/models/claude-3-5-sonnet-v2@20241022:rawPredict",
        f"/vertex{MODELS}/anthropic/models/claude-3-5-sonnet-v2@20241022:streamRawPredict",
    ]
    i, o = VERTEX_CLAUDE_USAGE[0], VERTEX_CLAUDE_USAGE[3]
    assert wait_for_requests(2) == [("vertex_key", MODEL, 2, 2 * i, 2 * o, 0)]


def test_a_token_close_to_expiry_is_minted_again(clouds: Clouds) -> None:
    clouds.standins.token_lifetime = 120  # inside the refresh margin: never reused

    first, second = generate(clouds), generate(clouds)

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(clouds.standins.issued) == 2
    tokens = [seen.headers["authorization"] for seen in clouds.upstream("vertex")]
    assert tokens[0] != tokens[1]


def test_another_project_or_location_answers_400_before_any_token_is_minted(
    clouds: Clouds,
) -> None:
    paths = [
        GEMINI.replace(PROJECT, "someone-elses-project"),
        GEMINI.replace(LOCATION, "europe-west4"),
    ]
    answers = [
        httpx.post(f"{clouds.base('vertex_key')}{path}:generateContent", headers=clouds.auth())
        for path in paths
    ]

    assert [answer.status_code for answer in answers] == [400, 400]
    assert f"/v1/projects/{PROJECT}/locations/{LOCATION}/" in answers[0].json()["error"]["message"]
    assert clouds.standins.requests == []


def test_minting_runs_off_the_event_loop_and_concurrent_calls_share_one_mint(
    clouds: Clouds, standins: Standins
) -> None:
    release, arrived = threading.Event(), threading.Event()
    answer_token = standins._google

    def slow_token_endpoint(seen: Seen) -> Reply:
        arrived.set()
        release.wait(60)
        return answer_token(seen)

    standins._google = slow_token_endpoint  # type: ignore[method-assign]
    results: list[int] = []
    callers = [
        threading.Thread(target=lambda: results.append(generate(clouds).status_code))
        for _ in range(4)
    ]
    for caller in callers:
        caller.start()
    assert arrived.wait(30)

    # While the token endpoint holds the mint, the event loop still answers other calls.
    other = httpx.post(
        clouds.base("azure_key") + "/openai/deployments/gpt-4o/chat/completions",
        params={"api-version": "2024-10-21"},
        headers=clouds.auth("api-key"),
        json={"messages": MESSAGES},
        timeout=30,
    )
    release.set()
    for caller in callers:
        caller.join(60)

    assert other.status_code == 200
    assert results == [200] * 4
    assert len(standins.token_requests) == 1
