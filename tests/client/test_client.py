"""The Python client against a real HTTP server: values, errors, cache, revalidation, outages."""

from __future__ import annotations

import logging
import threading

import pytest

import keyvault_client.client
from keyvault_client import (
    Client,
    Forbidden,
    KeyvaultError,
    NotFound,
    ProtocolError,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from keyvault_client.transports import HttpxTransport, StdlibTransport
from settings_app.api import services
from settings_app.models import Setting
from tests.client.api_server import ApiServer
from tests.client.conftest import TOKEN_NAME, ApiTarget, new_token

KEY = "openai_api_key"


class FakeClock:
    """Stands in for time.monotonic inside the client, so TTLs pass without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(keyvault_client.client, "monotonic", fake)
    return fake


@pytest.fixture(params=[HttpxTransport, StdlibTransport], ids=["httpx", "stdlib"])
def transport(request: pytest.FixtureRequest) -> type:
    """Both ways the client sends requests: httpx (the library) and http.client (the CLI)."""
    return request.param


def make_client(
    target: ApiTarget | ApiServer, transport: type = HttpxTransport, **options
) -> Client:
    return Client(target.url, target.token, transport=transport, **options)


def recording(transport: type, exchanges: list[tuple[str | None, int]]) -> type:
    """`transport`, noting each request's If-None-Match and the status that answered it."""

    class Recording(transport):
        def __call__(self, path: str, headers: dict[str, str]) -> object:
            response = super().__call__(path, headers)
            exchanges.append((headers.get("If-None-Match"), response.status))
            return response

    return Recording


# --- values and errors, against any server that implements the API -------------------------


def test_get_returns_each_value_in_scope(keyvault_api: ApiTarget, transport: type) -> None:
    with make_client(keyvault_api, transport) as client:
        for key, value in keyvault_api.values.items():
            assert client.get(key) == value


def test_get_many_and_get_all_return_the_values_in_scope(
    keyvault_api: ApiTarget, transport: type
) -> None:
    keys = sorted(keyvault_api.values)
    with make_client(keyvault_api, transport) as client:
        assert client.get_many(keys) == {key: keyvault_api.values[key] for key in keys}
        assert client.get_all() == keyvault_api.values


@pytest.mark.parametrize("kind", ["missing", "out of scope"])
def test_unknown_and_out_of_scope_keys_are_not_found(
    keyvault_api: ApiTarget, transport: type, kind: str
) -> None:
    key = "no_such_setting" if kind == "missing" else keyvault_api.out_of_scope_key
    with make_client(keyvault_api, transport) as client:
        with pytest.raises(NotFound, match=key) as raised:
            client.get(key)
        with pytest.raises(NotFound) as raised_many:
            client.get_many([KEY, key])
    assert raised.value.keys == [key] and raised_many.value.keys == [key]


def test_a_token_the_server_does_not_know_is_unauthorized(
    keyvault_api: ApiTarget, transport: type
) -> None:
    token = new_token()
    with (
        Client(keyvault_api.url, token, transport=transport) as client,
        pytest.raises(Unauthorized) as raised,
    ):
        client.get(KEY)
    assert token not in str(raised.value) and "KEYVAULT_TOKEN" in str(raised.value)


def test_the_real_api_answers_a_revalidation_304_until_the_value_changes(
    keyvault_api: ApiTarget, clock: FakeClock, transport: type
) -> None:
    exchanges: list[tuple[str | None, int]] = []
    with make_client(keyvault_api, recording(transport, exchanges), cache_seconds=60) as client:
        value = client.get(KEY)
        version = Setting.objects.get(key=KEY).version
        clock.advance(61)
        assert client.get(KEY) == value
        Setting.objects.set_value(KEY, "sk-proj-rotated-on-the-server-Zq81")
        clock.advance(61)
        assert client.get(KEY) == "sk-proj-rotated-on-the-server-Zq81"
    etag = f'"{version}"'
    assert exchanges == [(None, 200), (etag, 304), (etag, 200)]


def test_a_token_revoked_on_the_real_api_reads_nothing_more(
    keyvault_api: ApiTarget, clock: FakeClock, transport: type
) -> None:
    with make_client(keyvault_api, transport, cache_seconds=60, stale_if_error=300) as client:
        client.get(KEY)
        services.revoke_token(TOKEN_NAME)
        clock.advance(61)
        with pytest.raises(Unauthorized):
            client.get(KEY)
        with pytest.raises(Unauthorized):
            client.get_all()


def test_the_answers_for_a_refused_network_and_a_rate_limit(api_server: ApiServer) -> None:
    client = make_client(api_server)
    api_server.refuse_network = True
    with pytest.raises(Forbidden):
        client.get(KEY)
    api_server.refuse_network, api_server.rate_limit = False, True
    with pytest.raises(RateLimited) as raised:
        client.get(KEY)
    assert raised.value.retry_after == 7 and "7 s" in str(raised.value)


@pytest.mark.parametrize(
    "body", [b"<html>proxy error</html>", b'{"key": "openai_api_key"}', b'{"settings": 3}']
)
def test_answers_that_break_the_contract_are_protocol_errors(
    api_server: ApiServer, body: bytes
) -> None:
    api_server.garbage = body
    with make_client(api_server) as client, pytest.raises(ProtocolError):
        client.get(KEY) if b"settings" not in body else client.get_all()


def test_bad_keys_are_refused_before_any_request(api_server: ApiServer) -> None:
    with make_client(api_server) as client:
        for bad in ["", "a,b", "../admin", "x" * 129, "key with space"]:
            with pytest.raises(ValueError, match="key"):
                client.get(bad)
            with pytest.raises(ValueError, match="key"):
                client.get_many(["openai_api_key", bad])
    assert api_server.requests == []


def test_get_many_sends_one_request_for_every_key_not_cached(api_server: ApiServer) -> None:
    with make_client(api_server) as client:
        client.get("anthropic_api_key")
        values = client.get_many(["openai_api_key", "anthropic_api_key", "openai_api_key"])
    assert list(values) == ["openai_api_key", "anthropic_api_key"]
    assert [r.path for r in api_server.requests] == [
        "/api/v1/settings/anthropic_api_key",
        "/api/v1/settings/?keys=openai_api_key",
    ]


# --- the cache and its revalidation -----------------------------------------------------------


def test_a_warm_get_sends_nothing(api_server: ApiServer, clock: FakeClock) -> None:
    client = make_client(api_server, cache_seconds=60)
    for _ in range(5):
        assert client.get(KEY) == api_server.settings[KEY].value
        clock.advance(10)
    assert len(api_server.requests) == 1


def test_after_the_ttl_the_value_is_revalidated_with_its_etag(
    api_server: ApiServer, clock: FakeClock, transport: type
) -> None:
    client = make_client(api_server, transport, cache_seconds=60)
    value = client.get(KEY)
    clock.advance(61)
    assert client.get(KEY) == value
    revalidation = api_server.requests[-1]
    assert revalidation.headers["if-none-match"] == '"1"'  # answered 304: the value is unchanged
    clock.advance(30)
    assert client.get(KEY) == value and len(api_server.requests) == 2  # the 304 renewed the TTL


def test_a_changed_value_is_seen_once_the_ttl_has_passed(
    api_server: ApiServer, clock: FakeClock
) -> None:
    client = make_client(api_server, cache_seconds=60)
    old = client.get(KEY)
    api_server.put(KEY, "sk-proj-rotated-value-Zq81")
    clock.advance(59)
    assert client.get(KEY) == old
    clock.advance(2)
    assert client.get(KEY) == "sk-proj-rotated-value-Zq81"


def test_cache_seconds_zero_revalidates_every_call(api_server: ApiServer) -> None:
    client = make_client(api_server, cache_seconds=0)
    for _ in range(3):
        client.get(KEY)
    assert len(api_server.requests) == 3
    assert [r.headers.get("if-none-match") for r in api_server.requests] == [None, '"1"', '"1"']


def test_concurrent_cold_gets_share_one_request(api_server: ApiServer) -> None:
    client = make_client(api_server)
    api_server.delay = 0.3
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(client.get(KEY))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [api_server.settings[KEY].value] * 16
    assert len(api_server.requests) == 1


# --- stale-if-error ---------------------------------------------------------------------------


def test_a_stopped_server_gets_cached_values_for_stale_if_error_then_errors(
    api_server: ApiServer, clock: FakeClock, transport: type, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(api_server, transport, cache_seconds=60, stale_if_error=300)
    value = client.get(KEY)
    api_server.stop()
    clock.advance(61)
    with caplog.at_level(logging.WARNING, logger="keyvault_client"):
        assert client.get(KEY) == value
    assert "openai_api_key" in caplog.text and value not in caplog.text
    clock.advance(61 + 300 - 61 - 1)  # one second before the window closes
    assert client.get(KEY) == value
    clock.advance(2)
    with pytest.raises(Unavailable, match="unreachable") as raised:
        client.get(KEY)
    assert value not in str(raised.value) and api_server.token not in str(raised.value)


def test_server_errors_and_timeouts_get_cached_values_too(
    api_server: ApiServer, clock: FakeClock
) -> None:
    # A timeout well above a busy machine's answer time, and a delay well above the timeout.
    client = make_client(api_server, cache_seconds=60, timeout=1.0)
    value = client.get(KEY)
    api_server.fail_with = 503
    clock.advance(61)
    assert client.get(KEY) == value
    api_server.fail_with, api_server.delay = None, 3.0
    clock.advance(10)
    assert client.get(KEY) == value
    api_server.delay = 0
    clock.advance(10)
    api_server.put(KEY, "sk-proj-after-recovery-X1")
    assert client.get(KEY) == "sk-proj-after-recovery-X1"  # back up: fresh values again


def test_during_an_outage_one_caller_per_key_retries_every_few_seconds(
    api_server: ApiServer, clock: FakeClock
) -> None:
    client = make_client(api_server, cache_seconds=60)
    client.get(KEY)
    api_server.fail_with = 500
    clock.advance(61)
    for _ in range(10):
        client.get(KEY)
    assert len(api_server.requests) == 2
    clock.advance(keyvault_client.client.RETRY_AFTER_ERROR)
    client.get(KEY)
    assert len(api_server.requests) == 3


def test_a_cold_get_with_the_server_down_raises_unavailable(api_server: ApiServer) -> None:
    client = make_client(api_server)
    api_server.stop()
    with pytest.raises(Unavailable):
        client.get(KEY)
    with pytest.raises(Unavailable):
        client.get_many([KEY, "anthropic_api_key"])


def test_get_many_serves_stale_values_only_while_each_is_usable(
    api_server: ApiServer, clock: FakeClock
) -> None:
    client = make_client(api_server, cache_seconds=60)
    client.get(KEY)
    api_server.stop()
    clock.advance(61)
    assert client.get_many([KEY]) == {KEY: api_server.settings[KEY].value}
    with pytest.raises(Unavailable):
        client.get_many([KEY, "anthropic_api_key"])  # never fetched: nothing to fall back on


@pytest.mark.parametrize("change", ["revoked token", "deleted key", "refused network"])
def test_a_refusal_is_never_papered_over_with_the_cache(
    api_server: ApiServer, clock: FakeClock, change: str
) -> None:
    client = make_client(api_server, cache_seconds=60, stale_if_error=300)
    client.get(KEY)
    if change == "revoked token":
        api_server.token = new_token()
    elif change == "deleted key":
        del api_server.settings[KEY]
    else:
        api_server.refuse_network = True
    clock.advance(61)
    with pytest.raises((Unauthorized, NotFound, Forbidden)):
        client.get(KEY)
    api_server.stop()  # and the refused value is gone, not kept for a later outage
    with pytest.raises(Unavailable):
        client.get(KEY)


# --- hygiene ----------------------------------------------------------------------------------


def test_neither_repr_nor_any_error_shows_the_token_or_a_value(
    api_server: ApiServer, clock: FakeClock
) -> None:
    client = make_client(api_server, cache_seconds=0, stale_if_error=0)
    value = client.get(KEY)
    texts = [repr(client), str(vars(client))]
    for breaker in ("refuse_network", "rate_limit"):
        setattr(api_server, breaker, True)
        with pytest.raises(KeyvaultError) as raised:
            client.get(KEY)
        texts.append(str(raised.value))
        setattr(api_server, breaker, False)
    api_server.stop()
    with pytest.raises(KeyvaultError) as down:
        client.get(KEY)
    texts.append(str(down.value))
    for text in texts:
        assert api_server.token not in text and value not in text
    assert api_server.url.removeprefix("http://") in repr(client)


def test_an_undecryptable_entry_in_a_listing_is_unavailable_naming_the_key() -> None:
    import json

    from keyvault_client import Unavailable
    from keyvault_client.protocol import Response, parse_many

    entry = {"key": "openai_api_key", "error": "undecryptable", "reason": "unknown_key"}
    body = json.dumps({"settings": [entry]}).encode()
    with pytest.raises(Unavailable, match="openai_api_key \\(unknown_key\\)"):
        parse_many(Response(200, {}, body))
