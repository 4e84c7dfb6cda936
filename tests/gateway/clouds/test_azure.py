"""Azure OpenAI through the gateway with the stock SDK: only azure_endpoint and api_key change."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai

from tests.gateway.conftest import closed_after_test, wait_for_requests
from tests.support.cloud_standins import AZURE_USAGE, ENTRA_TOKEN, MODEL

from .conftest import AZURE_KEY, ENTRA_SECRET, Clouds

MESSAGES: Any = [{"role": "user", "content": "hello"}]


def azure(
    clouds: Clouds, key: str = "azure_key", version: str = "2024-10-21"
) -> openai.AzureOpenAI:
    return closed_after_test(
        openai.AzureOpenAI(
            azure_endpoint=clouds.base(key),
            api_key=clouds.token,
            api_version=version,
            max_retries=0,
        )
    )


def test_the_azure_sdk_calls_the_resource_with_the_stored_key_and_is_metered(
    clouds: Clouds,
) -> None:
    completion = azure(clouds).chat.completions.create(model="gpt-4o", messages=MESSAGES)

    assert completion.choices[0].message.content == "hi"
    [seen] = clouds.upstream("azure")
    assert seen.path == "/azure/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
    assert seen.headers["api-key"] == AZURE_KEY
    assert clouds.token not in json.dumps(seen.headers)
    assert wait_for_requests(1) == [("azure_key", MODEL, 1, *AZURE_USAGE, 0)]


def test_an_azure_stream_gets_usage_asked_for_and_choices_loops_keep_working(
    clouds: Clouds,
) -> None:
    clouds.standins.chunks = 6
    stream = azure(clouds).chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)

    texts = [chunk.choices[0].delta.content for chunk in stream]

    assert texts == [f"c{n} " for n in range(6)]
    assert clouds.upstream("azure")[0].json()["stream_options"] == {"include_usage": True}
    assert wait_for_requests(1) == [("azure_key", MODEL, 1, *AZURE_USAGE, 0)]


def test_an_api_version_without_stream_options_is_sent_as_it_came(clouds: Clouds) -> None:
    stream = azure(clouds, version="2024-06-01").chat.completions.create(
        model="gpt-4o", messages=MESSAGES, stream=True
    )

    assert len([chunk.choices[0] for chunk in stream]) == 5
    assert "stream_options" not in clouds.upstream("azure")[0].json()  # it would answer 400
    assert wait_for_requests(1) == [("azure_key", MODEL, 1, 0, 0, 1)]  # counted, unmetered


def test_an_entra_credential_mints_one_token_for_many_calls(clouds: Clouds) -> None:
    client = azure(clouds, "azure_entra")
    for _ in range(3):
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    logins = [seen for seen in clouds.standins.requests if seen.path.startswith("/login/")]
    assert len(logins) == 1
    calls = clouds.upstream("azure")
    assert [seen.headers["authorization"] for seen in calls] == [f"Bearer {ENTRA_TOKEN}"] * 3
    assert all("api-key" not in seen.headers for seen in calls)
    assert all(ENTRA_SECRET not in json.dumps(seen.headers) for seen in calls)


def test_an_entra_refusal_answers_502_naming_the_host_not_the_secret(clouds: Clouds) -> None:
    clouds.standins.entra_apps.clear()

    answer = httpx.post(
        clouds.base("azure_entra") + "/openai/deployments/gpt-4o/chat/completions",
        params={"api-version": "2024-10-21"},
        headers=clouds.auth("api-key"),
        json={"messages": MESSAGES},
    )

    assert answer.status_code == 502
    assert "127.0.0.1" in answer.json()["error"]["message"]
    assert ENTRA_SECRET not in answer.text
    assert clouds.upstream("azure") == []
