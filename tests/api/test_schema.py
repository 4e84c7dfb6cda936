"""The OpenAPI schema declares everything the API answers (issue 22, item 10), so clients and
schemathesis can hold it to its word."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from settings_app import providers
from settings_app.constants import KEY_PATTERN

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(db: None) -> dict[str, Any]:
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return dict(json.loads(response.content))


def operation(schema: dict[str, Any], path: str) -> dict[str, Any]:
    return dict(schema["paths"][path]["get"])


def test_every_status_the_settings_operations_answer_is_declared(schema) -> None:
    one = operation(schema, "/api/v1/settings/{key}")["responses"]
    many = operation(schema, "/api/v1/settings/")["responses"]
    assert {"200", "304", "401", "403", "404", "405", "429", "500"} <= set(one)
    assert {"200", "400", "401", "403", "405", "429", "500"} <= set(many)


def test_the_headers_are_declared(schema) -> None:
    one = operation(schema, "/api/v1/settings/{key}")
    responses = one["responses"]
    assert {"ETag", "Cache-Control"} <= set(responses["200"]["headers"])
    assert "ETag" in responses["304"]["headers"]
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert "Retry-After" in responses["429"]["headers"]
    many = operation(schema, "/api/v1/settings/")["responses"]
    assert "Cache-Control" in many["200"]["headers"]
    headers = {p["name"] for p in one["parameters"] if p["in"] == "header"}
    assert headers == {"If-None-Match"}


def test_the_key_and_provider_are_constrained(schema) -> None:
    (key,) = [
        p for p in operation(schema, "/api/v1/settings/{key}")["parameters"] if p["in"] == "path"
    ]
    assert (
        key["schema"]["maxLength"] == 128 and key["schema"]["pattern"] == f"^{KEY_PATTERN.pattern}$"
    )
    provider = schema["components"]["schemas"]["SettingRead"]["properties"]["provider"]
    (reference,) = provider["allOf"]
    enum = schema["components"]["schemas"][reference["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert set(enum) == {slug for slug, _ in providers.CHOICES}
