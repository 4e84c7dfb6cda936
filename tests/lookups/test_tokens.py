"""The per-process token cache the API and the gateway share: a known token costs no query,
a revocation applies to the next request, expiry is checked on every use."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from settings_app.api import services
from settings_app.lookups import tokens as token_lookup
from tests.api.conftest import SETTINGS_URL, bearer

OPENAI_URL = SETTINGS_URL + "openai_api_key"
TOKEN_TABLE = "settings_app_servicetoken"


class FrozenClock:
    """The cache's monotonic clock, held still: only what the test changes can expire."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock()
    monkeypatch.setattr(token_lookup, "monotonic", frozen)
    return frozen


def token_queries(client, url: str = OPENAI_URL) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, [q["sql"] for q in captured.captured_queries if TOKEN_TABLE in q["sql"]]


@pytest.mark.django_db
def test_a_known_token_is_not_queried_again_within_a_second(stored, make_token, clock) -> None:
    client = bearer(make_token().secret)
    assert token_queries(client)[0] == 200
    status, queried = token_queries(client)
    assert status == 200 and not [sql for sql in queried if sql.lstrip().startswith("SELECT")]
    clock.now += token_lookup.TOKEN_CACHE_SECONDS
    assert [sql for sql in token_queries(client)[1] if sql.lstrip().startswith("SELECT")]


@pytest.mark.django_db
def test_a_revoked_token_is_refused_on_its_next_request(stored, make_token, clock) -> None:
    created = make_token(name="revoked-soon")
    client = bearer(created.secret)
    assert client.get(OPENAI_URL).status_code == 200
    services.revoke_token("revoked-soon")
    assert client.get(OPENAI_URL).status_code == 401


@pytest.mark.django_db
def test_expiry_is_checked_on_every_use_of_a_cached_token(stored, make_token, clock) -> None:
    created = make_token(lifetime=timedelta(hours=1))
    client = bearer(created.secret)
    assert client.get(OPENAI_URL).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        assert token_lookup.peek(created.secret)[0]  # still cached...
        assert client.get(OPENAI_URL).status_code == 401  # ...and refused


@pytest.mark.django_db
def test_unknown_and_malformed_tokens_are_not_cached(make_token, clock) -> None:
    unknown = make_token().secret[:-8] + "AAAAAAAA"
    for presented in (unknown, "kvt_not-a-token", ""):
        assert token_lookup.active_token(presented) is None
    assert token_lookup._cached == {}


@pytest.mark.django_db
def test_the_creator_s_rights_are_read_afresh_on_a_cache_hit(make_token, clock, admin_user) -> None:
    created = make_token(created_by=admin_user)
    first = token_lookup.active_token(created.secret)
    assert first is not None and first.created_by == admin_user  # loads and caches the relation
    hit = token_lookup.active_token(created.secret)
    assert hit is not None and "created_by" not in hit._state.fields_cache


@pytest.mark.django_db
def test_a_new_secret_key_empties_the_cache(make_token, clock, settings) -> None:
    created = make_token()
    assert token_lookup.active_token(created.secret) is not None
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert token_lookup._cached == {}
    assert token_lookup.active_token(created.secret) is None  # hashed under the new key
