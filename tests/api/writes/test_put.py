"""PUT /api/v1/settings/<key> against the real API: create, replace, check-and-set, rules."""

from __future__ import annotations

import pytest

from settings_app.models import AuditAction, AuditEvent, Setting

from .conftest import OPENAI_V1, OPENAI_V2, WriteAPI, value_of

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/settings/"


def test_put_writes_a_new_version_and_answers_without_the_value(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        answer = client.put(URL + "openai_api_key", json={"value": OPENAI_V2})
    assert answer.status_code == 200
    assert answer.json()["version"] == 2 and answer.json()["key"] == "openai_api_key"
    assert answer.headers["etag"] == '"2"'
    assert OPENAI_V2 not in answer.text and "value" not in answer.json()
    assert value_of("openai_api_key") == OPENAI_V2


def test_put_creates_a_new_key_with_201_and_its_description(write_api: WriteAPI) -> None:
    body = {"value": "sk-proj-" + "N3w" * 20, "provider": "openai", "description": "rotated by CI"}
    with write_api.client("writer") as client:
        answer = client.put(URL + "openai_backup_key", json=body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["version"] == 1 and answer.json()["provider"] == "openai"
    assert Setting.objects.get(key="openai_backup_key").description == "rotated by CI"


def test_a_write_is_audited_with_the_token_name(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        client.put(URL + "openai_api_key", json={"value": OPENAI_V2}).raise_for_status()
    event = AuditEvent.objects.filter(action=AuditAction.UPDATED).latest("pk")
    assert event.details["token_name"] == "writer"
    assert event.actor_label == "service token writer"
    assert OPENAI_V2 not in str(event.details)


def test_a_read_only_token_cannot_write(write_api: WriteAPI) -> None:
    with write_api.client("reader") as client:
        answer = client.put(URL + "openai_api_key", json={"value": OPENAI_V2})
    assert answer.status_code == 403
    assert "write scope" in answer.json()["detail"]
    assert value_of("openai_api_key") == OPENAI_V1


def test_a_key_outside_the_write_scope_is_refused(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        answer = client.put(URL + "anthropic_api_key", json={"value": "sk-ant-" + "x" * 40})
    assert answer.status_code == 403
    assert not Setting.objects.filter(key="anthropic_api_key").exists()


def test_a_stale_if_match_answers_412_with_the_current_version(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        client.put(URL + "openai_api_key", json={"value": OPENAI_V2}).raise_for_status()
        answer = client.put(
            URL + "openai_api_key", json={"value": OPENAI_V1}, headers={"If-Match": '"1"'}
        )
    assert answer.status_code == 412
    assert answer.json()["current_version"] == 2 and answer.headers["etag"] == '"2"'
    assert OPENAI_V2 not in answer.text and OPENAI_V1 not in answer.text
    assert value_of("openai_api_key") == OPENAI_V2
    assert AuditEvent.objects.filter(action=AuditAction.STALE_WRITE_REFUSED).count() == 1


def test_a_matching_if_match_writes(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        answer = client.put(
            URL + "openai_api_key", json={"value": OPENAI_V2}, headers={"If-Match": '"1"'}
        )
    assert answer.status_code == 200 and answer.json()["version"] == 2


def test_if_none_match_star_only_creates(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        existing = client.put(
            URL + "openai_api_key", json={"value": OPENAI_V2}, headers={"If-None-Match": "*"}
        )
        new = client.put(
            URL + "openai_other_key", json={"value": OPENAI_V2}, headers={"If-None-Match": "*"}
        )
    assert existing.status_code == 412 and existing.json()["current_version"] == 1
    assert new.status_code == 201
    assert value_of("openai_api_key") == OPENAI_V1


def test_if_match_star_only_replaces(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        answer = client.put(
            URL + "openai_missing_key", json={"value": OPENAI_V2}, headers={"If-Match": "*"}
        )
    assert answer.status_code == 412 and answer.json()["current_version"] == 0
    assert not Setting.objects.filter(key="openai_missing_key").exists()


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({"If-Match": "three"}, "one version as an ETag"),
        ({"If-Match": 'W/"1"'}, "one version as an ETag"),
        ({"If-Match": '"0"'}, "If-None-Match: *"),
        ({"If-Match": '"1"', "If-None-Match": "*"}, "not both"),
        ({"If-None-Match": '"1"'}, "create only"),
    ],
)
def test_malformed_preconditions_are_explained(
    write_api: WriteAPI, headers: dict[str, str], words: str
) -> None:
    with write_api.client("writer") as client:
        answer = client.put(URL + "openai_api_key", json={"value": OPENAI_V2}, headers=headers)
    assert answer.status_code == 400
    assert words in answer.json()["detail"]
    assert value_of("openai_api_key") == OPENAI_V1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"value": "sk-proj-abc def ghi jkl mno pqr"}, "never contain spaces"),
        ({"value": "$kv1$r$3f9a0c1d$AAAA" + "B" * 30}, "reserved for keyvault ciphertexts"),
        ({"value": "short"}, "too short"),
        ({}, "value: This field is required"),
        ({"value": OPENAI_V2, "provider": "anthropic"}, "stays with the provider"),
        ({"value": OPENAI_V2, "provider": "nope"}, "provider"),
        (["not", "an", "object"], "Expected a dictionary"),
    ],
)
def test_the_admin_rules_refuse_bad_values_with_a_reason(
    write_api: WriteAPI, body: object, words: str
) -> None:
    with write_api.client("writer") as client:
        answer = client.put(URL + "openai_api_key", json=body)
    assert answer.status_code == 400, answer.text
    assert words in answer.json()["detail"]
    assert "abc def" not in answer.text
    assert value_of("openai_api_key") == OPENAI_V1
    assert Setting.objects.get(key="openai_api_key").version == 1


def test_a_body_that_is_not_json_is_a_json_400(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        answer = client.put(
            URL + "openai_api_key", content=b"value=x", headers={"Content-Type": "text/plain"}
        )
    assert answer.status_code == 400 and "detail" in answer.json()


def test_an_unusual_prefix_is_written_with_a_warning(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        answer = client.put(URL + "openai_api_key", json={"value": "proj-" + "Q" * 40})
    assert answer.status_code == 200
    assert "usually start with" in answer.json()["warnings"][0]
