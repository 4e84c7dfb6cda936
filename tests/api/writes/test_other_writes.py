"""Rollback, DELETE, verify and ?version=N against the real API on live_server."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from settings_app.models import AuditAction, AuditEvent, Setting

from .conftest import OPENAI_V1, OPENAI_V2, OPENAI_V3, WriteAPI, value_of

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/settings/"


@pytest.fixture
def three_versions(write_api: WriteAPI) -> WriteAPI:
    Setting.objects.set_value("openai_api_key", OPENAI_V2)
    Setting.objects.set_value("openai_api_key", OPENAI_V3)
    return write_api


def test_rollback_restores_an_earlier_value_as_a_new_version(three_versions: WriteAPI) -> None:
    with three_versions.client("writer") as client:
        answer = client.post(URL + "openai_api_key/rollback", json={"version": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 4 and OPENAI_V1 not in answer.text
    assert value_of("openai_api_key") == OPENAI_V1
    event = AuditEvent.objects.get(action=AuditAction.VERSION_RESTORED)
    assert event.details["token_name"] == "writer" and event.details["restored_version"] == 1


def test_rollback_checks_if_match(three_versions: WriteAPI) -> None:
    with three_versions.client("writer") as client:
        answer = client.post(
            URL + "openai_api_key/rollback", json={"version": 1}, headers={"If-Match": '"2"'}
        )
    assert answer.status_code == 412 and answer.json()["current_version"] == 3
    assert value_of("openai_api_key") == OPENAI_V3


def test_a_demoted_creator_s_token_loses_rollback_at_once(
    three_versions: WriteAPI, key_admin_user: User
) -> None:
    with three_versions.client("writer") as client:
        client.post(URL + "openai_api_key/rollback", json={"version": 2}).raise_for_status()
        key_admin_user.groups.clear()
        answer = client.post(URL + "openai_api_key/rollback", json={"version": 1})
    assert answer.status_code == 403
    assert "restore versions" in answer.json()["detail"]
    assert value_of("openai_api_key") == OPENAI_V2


def test_a_token_without_a_creator_cannot_roll_back(three_versions: WriteAPI) -> None:
    with three_versions.client("orphan") as client:
        answer = client.post(URL + "openai_api_key/rollback", json={"version": 1})
    assert answer.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"version": 9}, 404, "has no version 9"),
        ({"version": 3}, 409, "current value already"),
        ({"version": 0}, 400, "version"),
        ({}, 400, "version: This field is required"),
    ],
)
def test_rollback_refusals_are_explained(
    three_versions: WriteAPI, body: dict[str, int], status: int, words: str
) -> None:
    with three_versions.client("writer") as client:
        answer = client.post(URL + "openai_api_key/rollback", json=body)
    assert answer.status_code == status
    assert words in answer.json()["detail"]


def test_delete_removes_the_setting_and_is_audited(write_api: WriteAPI) -> None:
    with write_api.client("writer") as client:
        answer = client.delete(URL + "openai_api_key")
        again = client.delete(URL + "openai_api_key")
    assert answer.status_code == 204
    assert not Setting.objects.filter(key="openai_api_key").exists()
    assert again.status_code == 404 and "detail" in again.json()
    event = AuditEvent.objects.get(action=AuditAction.DELETED)
    assert event.details["token_name"] == "writer"


def test_delete_with_a_stale_if_match_keeps_the_setting(three_versions: WriteAPI) -> None:
    with three_versions.client("writer") as client:
        answer = client.delete(URL + "openai_api_key", headers={"If-Match": '"1"'})
        matching = client.delete(URL + "openai_api_key", headers={"If-Match": '"3"'})
    assert answer.status_code == 412 and answer.json()["current_version"] == 3
    assert matching.status_code == 204


def test_a_read_only_token_cannot_delete(write_api: WriteAPI) -> None:
    with write_api.client("reader") as client:
        assert client.delete(URL + "openai_api_key").status_code == 403
    assert Setting.objects.filter(key="openai_api_key").exists()


def test_verify_returns_and_records_the_outcome(write_api: WriteAPI) -> None:
    Setting.objects.set_value("openai_custom", "a-value-of-an-unknown-kind", provider="other")
    with write_api.client("writer") as client:
        answer = client.post(URL + "openai_custom/verify")
        missing = client.post(URL + "openai_nothing/verify")
    assert answer.status_code == 200
    assert answer.json()["status"] == "unverified" and answer.json()["verified_at"]
    assert Setting.objects.get(key="openai_custom").last_verified_at is not None
    assert AuditEvent.objects.get(action=AuditAction.VERIFIED).details["token_name"] == "writer"
    assert missing.status_code == 404


def test_verify_needs_the_write_scope(write_api: WriteAPI) -> None:
    with write_api.client("reader") as client:
        assert client.post(URL + "openai_api_key/verify").status_code == 403


def test_an_older_version_is_readable_by_a_restorer_s_token(three_versions: WriteAPI) -> None:
    with three_versions.client("reader") as client:
        answer = client.get(URL + "openai_api_key", params={"version": 1})
    assert answer.status_code == 200
    assert answer.json()["value"] == OPENAI_V1 and answer.json()["version"] == 1
    event = AuditEvent.objects.filter(action=AuditAction.API_READ).latest("pk")
    assert event.details["version"] == 1 and event.details["token_name"] == "reader"


def test_an_older_version_is_refused_to_other_tokens(
    three_versions: WriteAPI, key_admin_user: User
) -> None:
    with three_versions.client("orphan") as client:
        answer = client.get(URL + "openai_api_key", params={"version": 1})
    assert answer.status_code == 403 and OPENAI_V1 not in answer.text
    key_admin_user.groups.clear()
    with three_versions.client("reader") as client:
        assert client.get(URL + "openai_api_key", params={"version": 1}).status_code == 403


@pytest.mark.parametrize(("version", "status"), [("9", 404), ("0", 400), ("one", 400)])
def test_bad_or_missing_versions(three_versions: WriteAPI, version: str, status: int) -> None:
    with three_versions.client("reader") as client:
        answer = client.get(URL + "openai_api_key", params={"version": version})
    assert answer.status_code == status and "detail" in answer.json()


def test_an_older_version_outside_the_read_scope_is_not_found(three_versions: WriteAPI) -> None:
    Setting.objects.set_value("mistral_api_key", "mistral-" + "M" * 32)
    with three_versions.client("reader") as client:
        answer = client.get(URL + "mistral_api_key", params={"version": 1})
    assert answer.status_code == 404


def test_listing_without_values_reads_no_value(write_api: WriteAPI) -> None:
    Setting.objects.set_value("mistral_api_key", "mistral-" + "M" * 32)  # outside the scope
    with write_api.client("reader") as client:
        answer = client.get(URL, params={"values": "false"})
        wrong = client.get(URL, params={"values": "maybe"})
    assert answer.status_code == 200
    assert answer.json() == {
        "settings": [
            {
                "key": "openai_api_key",
                "version": 1,
                "provider": "openai",
                "updated_at": answer.json()["settings"][0]["updated_at"],
            }
        ]
    }
    assert OPENAI_V1 not in answer.text
    assert not AuditEvent.objects.filter(action=AuditAction.API_READ).exists()
    assert wrong.status_code == 400 and "true or false" in wrong.json()["detail"]
