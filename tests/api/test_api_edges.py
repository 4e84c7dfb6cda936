"""The read API's edges (issue 22, items 8-9): key syntax checked before the database, and JSON
`{"detail": ...}` for every answer under /api/, whatever went wrong."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.api import reads
from tests.api.conftest import OPENAI_VALUE, SETTINGS_URL, bearer

pytestmark = pytest.mark.django_db

BAD_KEYS = ["openai%00", "openai_api_key%00", "a%20b", "%C3%A9t%C3%A9", "k" * 129, "a;b", "*"]


# --- item 8: key syntax before the database ----------------------------------------------------


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_cannot_exist_is_a_404_without_a_query(stored, make_token, key) -> None:
    client = bearer(make_token(["*"]).secret)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(SETTINGS_URL + key)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    assert not any("settings_app_setting" in q["sql"] for q in captured.captured_queries)


def test_keys_that_cannot_exist_are_dropped_from_a_listing(stored, make_token) -> None:
    client = bearer(make_token(["*"]).secret)
    response = client.get(SETTINGS_URL + "?keys=a%00b,openai_api_key,%00,x%20y")
    assert response.status_code == 200
    assert [item["value"] for item in response.json()["settings"]] == [OPENAI_VALUE]


# --- item 9: JSON everywhere under /api/ -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here", "/api/v2/settings/", "/api/", SETTINGS_URL + "openai_api_key/"],
)
def test_unknown_routes_answer_json(stored, make_token, path) -> None:
    response = bearer(make_token().secret).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and set(response.json()) == {"detail"}


def test_a_page_outside_the_api_still_gets_the_html_404(db) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "json" not in response["Content-Type"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_method_not_allowed_answers_json(stored, make_token, method) -> None:
    response = getattr(bearer(make_token().secret), method)(SETTINGS_URL)
    assert response.status_code == 405 and set(response.json()) == {"detail"}


def test_a_crash_answers_json(stored, make_token, monkeypatch) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reads, "readable_settings", crash)
    client = bearer(make_token().secret, raise_request_exception=False)
    response = client.get(SETTINGS_URL)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json" and set(response.json()) == {"detail"}
    assert "went away" not in response.content.decode()


@pytest.mark.parametrize("path", [SETTINGS_URL, SETTINGS_URL + "openai_api_key"])
def test_head_works_wherever_get_does(stored, make_token, path) -> None:
    client = bearer(make_token().secret)
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b"" and head.get("ETag") == got.get("ETag")


def test_the_key_limit_answers_a_detail(stored, make_token) -> None:
    keys = ",".join(f"key_{i}" for i in range(101))
    response = bearer(make_token().secret).get(SETTINGS_URL, {"keys": keys})
    assert response.status_code == 400
    (detail,) = response.json().values()
    assert set(response.json()) == {"detail"} and "at most 100 keys" in detail


def test_repeated_keys_parameters_are_merged(stored, make_token) -> None:
    client = bearer(make_token(["*"]).secret)
    response = client.get(SETTINGS_URL + "?keys=openai_api_key&keys=anthropic_api_key")
    keys = [item["key"] for item in response.json()["settings"]]
    assert keys == ["anthropic_api_key", "openai_api_key"]
