"""The rules around every write: HTTPS, its own rate limit, and check-and-set under a race."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client

from settings_app.api import services
from settings_app.credentials import envelope
from settings_app.models import Setting
from tests.credentials import samples

from .conftest import OPENAI_V1, OPENAI_V2, OPENAI_V3, WriteAPI, value_of

URL = "/api/v1/settings/openai_api_key"
REMOTE = "203.0.113.9"


@pytest.fixture
def remote_writer(db: None) -> Client:
    """A Django test client for a write token, calling from a non-loopback address."""
    Setting.objects.set_value("openai_api_key", OPENAI_V1)
    secret = services.create_token("remote", ["openai_*"], write_scope=["openai_*"]).secret
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR=REMOTE)


def _put(client: Client, **extra: Any) -> Any:
    body = json.dumps({"value": OPENAI_V2})
    return client.put(URL, data=body, content_type="application/json", **extra)


def test_a_plain_http_write_from_afar_is_refused_before_storing(remote_writer: Client) -> None:
    answer = _put(remote_writer)
    assert answer.status_code == 400
    assert "plain HTTP" in answer.json()["detail"]
    assert value_of("openai_api_key") == OPENAI_V1


def test_an_https_write_from_afar_is_accepted(remote_writer: Client) -> None:
    assert _put(remote_writer, secure=True).status_code == 200
    assert value_of("openai_api_key") == OPENAI_V2


def test_https_through_the_trusted_proxy_counts(remote_writer: Client, settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _put(remote_writer, HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_debug_allows_plain_http(remote_writer: Client, settings: Any) -> None:
    settings.DEBUG = True
    assert _put(remote_writer).status_code == 200


def test_a_plain_http_rollback_is_not_refused_for_transport(remote_writer: Client) -> None:
    # It carries no value; it is refused for the creator's missing permission instead.
    answer = remote_writer.post(
        URL + "/rollback", data=json.dumps({"version": 1}), content_type="application/json"
    )
    assert answer.status_code == 403 and "restore versions" in answer.json()["detail"]


def test_writes_have_their_own_rate_limit(remote_writer: Client, settings: Any) -> None:
    settings.KEYVAULT_API_WRITE_RATE = "2/m"
    answers = [_put(remote_writer, secure=True).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert remote_writer.get(URL).status_code == 200  # reads count against KEYVAULT_API_RATE


# SQLite's in-memory test database (shared cache) answers "table is locked" to a second
# writer at once instead of waiting, so only a server database can hold this race.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: see comment")
@pytest.mark.django_db(transaction=True)
def test_two_writers_with_the_same_if_match_exactly_one_wins(write_api: WriteAPI) -> None:
    """Check-and-set under a real race: both send If-Match "1" at the same moment."""
    answers = _race(write_api, "openai_api_key", {v: {"value": v} for v in (OPENAI_V2, OPENAI_V3)})
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 412]
    winner = next(value for value, answer in answers.items() if answer.status_code == 200)
    assert value_of("openai_api_key") == winner
    setting = Setting.objects.get(key="openai_api_key")
    assert setting.version == 2 and setting.versions.count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: see above")
@pytest.mark.django_db(transaction=True)
def test_two_fields_writers_with_the_same_if_match_exactly_one_wins(write_api: WriteAPI) -> None:
    """The same race for a structured credential, whose fields are merged over version 1."""
    key = "openai_azure_prod"
    with write_api.client("writer") as client:
        created = client.put(
            f"/api/v1/settings/{key}", json={"provider": "azure_openai", "fields": samples.AZURE}
        )
    assert created.status_code == 201, created.text
    bodies = {name: {"fields": {"deployment": name}} for name in ("gpt-4o-mini", "gpt-35-turbo")}
    answers = _race(write_api, key, bodies)
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 412]
    winner = next(name for name, answer in answers.items() if answer.status_code == 200)
    assert envelope.loads(str(Setting.objects.get(key=key).value)).fields == {
        **samples.AZURE, "deployment": winner
    }  # fmt: skip
    assert Setting.objects.get(key=key).version == 2


def _race(write_api: WriteAPI, key: str, bodies: dict[str, Any]) -> dict[str, httpx.Response]:
    """Each body PUT with If-Match "1" by its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(bodies), timeout=60)
    answers: dict[str, httpx.Response] = {}

    def write(name: str) -> None:
        with write_api.client("writer") as client:
            barrier.wait()
            answers[name] = client.put(
                f"/api/v1/settings/{key}", json=bodies[name], headers={"If-Match": '"1"'}
            )

    threads = [threading.Thread(target=write, args=(name,)) for name in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers
