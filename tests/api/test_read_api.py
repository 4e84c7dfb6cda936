"""GET /api/v1/settings/<key> and ?keys=: the body, the headers and every status code."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from settings_app.api import services, tokens
from settings_app.api.authentication import INVALID
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.api.conftest import ANTHROPIC_VALUE, OPENAI_VALUE, SETTINGS_URL, bearer
from tests.support.unreadable_rows import raw_value, write_raw_value

pytestmark = pytest.mark.django_db

OPENAI_URL = SETTINGS_URL + "openai_api_key"


def test_a_token_reads_a_setting_in_its_scope(stored, make_token) -> None:
    created = make_token(["openai_api_key"])
    response = bearer(created.secret).get(OPENAI_URL)
    assert response.status_code == 200
    setting = stored["openai_api_key"]
    assert response.json() == {
        "key": "openai_api_key",
        "value": OPENAI_VALUE,
        "version": 1,
        "provider": "openai",
        "updated_at": setting.updated_at.isoformat().replace("+00:00", "Z"),
    }
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["ETag"] == '"1"'


def test_the_etag_follows_the_version(stored, make_token) -> None:
    Setting.objects.filter(key="openai_api_key").update(version=3)
    response = bearer(make_token().secret).get(OPENAI_URL)
    assert response["ETag"] == '"3"' and response.json()["version"] == 3


@pytest.mark.parametrize("header", ['"1"', 'W/"1"', '"7", "1"', "*"])
def test_if_none_match_with_the_version_answers_304_without_the_value(
    stored, make_token, header
) -> None:
    response = bearer(make_token().secret).get(OPENAI_URL, HTTP_IF_NONE_MATCH=header)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == '"1"' and response["Cache-Control"] == "no-store"


def test_an_old_version_in_if_none_match_gets_the_new_value(stored, make_token) -> None:
    Setting.objects.filter(key="openai_api_key").update(version=2)
    response = bearer(make_token().secret).get(OPENAI_URL, HTTP_IF_NONE_MATCH='"1"')
    assert response.status_code == 200 and response.json()["value"] == OPENAI_VALUE


# --- 401 --------------------------------------------------------------------------------------


def _other(char: str) -> str:
    """A different base64url character."""
    return "B" if char == "A" else "A"


def _unauthorised_responses(make_token) -> dict[str, Any]:
    expired = make_token(name="expired", lifetime=timedelta(days=1))
    revoked = make_token(name="revoked")
    services.revoke_token("revoked")
    valid = make_token(name="valid").secret
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        valid_later = make_token(name="valid-later").secret
        responses = {
            "missing": Client().get(OPENAI_URL),
            "empty": Client(HTTP_AUTHORIZATION="").get(OPENAI_URL),
            "other scheme": Client(HTTP_AUTHORIZATION=f"Token {valid_later}").get(OPENAI_URL),
            "basic auth": Client(HTTP_AUTHORIZATION="Basic YWRtaW46YWRtaW4=").get(OPENAI_URL),
            "malformed": bearer("kvt_short").get(OPENAI_URL),
            "bad checksum": bearer(valid_later[:-1] + _other(valid_later[-1])).get(OPENAI_URL),
            "unknown": bearer(tokens.generate()).get(OPENAI_URL),
            "expired": bearer(expired.secret).get(OPENAI_URL),
            "revoked": bearer(revoked.secret).get(OPENAI_URL),
        }
    assert bearer(valid).get(OPENAI_URL).status_code == 200  # the setup itself is sound
    return responses


def test_every_bad_token_gets_the_same_401(stored, make_token) -> None:
    responses = _unauthorised_responses(make_token)
    for why, response in responses.items():
        assert response.status_code == 401, why
        assert response.json() == {"detail": INVALID}, why
        assert response["WWW-Authenticate"] == 'Bearer realm="keyvault"', why
        assert response["Cache-Control"] == "no-store", why
    assert len({r.content for r in responses.values()}) == 1


def test_malformed_tokens_are_refused_without_a_query(stored, django_assert_num_queries) -> None:
    forged = tokens.generate()
    with django_assert_num_queries(0):
        assert (
            bearer(forged[:-1] + ("A" if forged[-1] != "A" else "B")).get(OPENAI_URL).status_code
            == 401
        )
        assert bearer("kvt_" + "A" * 49).get(OPENAI_URL).status_code == 401


def test_an_admin_session_is_not_an_api_credential(stored, client) -> None:
    admin = User.objects.create_superuser("root", password="pw")
    client.force_login(admin)
    assert client.get(OPENAI_URL).status_code == 401


def test_revocation_takes_effect_on_the_next_request(stored, make_token) -> None:
    created = make_token(name="worker")
    client = bearer(created.secret)
    assert client.get(OPENAI_URL).status_code == 200
    services.revoke_token("worker")
    assert client.get(OPENAI_URL).status_code == 401


def test_expiry_takes_effect_on_the_next_request(stored, make_token) -> None:
    created = make_token(lifetime=timedelta(hours=1))
    client = bearer(created.secret)
    with time_machine.travel(timezone.now() + timedelta(minutes=59), tick=False):
        assert client.get(OPENAI_URL).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=61), tick=False):
        assert client.get(OPENAI_URL).status_code == 401


# --- 404 and scope ------------------------------------------------------------------------------


def test_out_of_scope_and_missing_keys_get_the_same_404(stored, make_token) -> None:
    client = bearer(make_token(["openai_*"]).secret)
    out_of_scope = client.get(SETTINGS_URL + "anthropic_api_key")  # exists
    missing = client.get(SETTINGS_URL + "openai_org_id")  # in scope, does not exist
    invalid = client.get(SETTINGS_URL + "openai key")  # not even a key
    for response in (out_of_scope, missing, invalid):
        assert response.status_code == 404
        assert response["Cache-Control"] == "no-store"
    assert out_of_scope.content == missing.content == invalid.content
    assert ANTHROPIC_VALUE.encode() not in out_of_scope.content


def test_an_out_of_scope_key_is_not_even_queried(stored, make_token) -> None:
    client = bearer(make_token(["openai_api_key"]).secret)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(SETTINGS_URL + "anthropic_api_key").status_code == 404
    assert not [q for q in queries.captured_queries if "settings_app_setting" in q["sql"]]


@pytest.mark.parametrize(
    ("scope", "readable"),
    [
        (["openai_api_key"], {"openai_api_key"}),
        (["openai_*"], {"openai_api_key"}),
        (["*_api_key"], {"openai_api_key", "anthropic_api_key", "mistral_api_key"}),
        (["?istral_api_key"], {"mistral_api_key"}),
        (["OPENAI_API_KEY"], set()),  # case matters
        (["openai_api_ke"], set()),  # exact keys are whole keys
        (["openai.api.key"], set()),  # '.' is a character, not a wildcard
        (["anthropic_api_key", "mistral_*"], {"anthropic_api_key", "mistral_api_key"}),
        (["*"], {"openai_api_key", "anthropic_api_key", "mistral_api_key"}),
    ],
)
def test_scope_rules(stored, make_token, scope, readable) -> None:
    client = bearer(make_token(scope).secret)
    for key in stored:
        assert client.get(SETTINGS_URL + key).status_code == (200 if key in readable else 404)
    listed = {item["key"] for item in client.get(SETTINGS_URL).json()["settings"]}
    assert listed == readable


# --- listing ------------------------------------------------------------------------------------


def test_listing_returns_only_the_in_scope_subset_in_one_query(stored, make_token) -> None:
    client = bearer(make_token(["openai_*", "mistral_api_key"]).secret)
    url = SETTINGS_URL + "?keys=openai_api_key,anthropic_api_key,mistral_api_key,missing_key"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    body = response.json()
    reads = [
        q["sql"] for q in queries.captured_queries if 'FROM "settings_app_setting"' in q["sql"]
    ]
    assert len(reads) == 1
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert [item["key"] for item in body["settings"]] == ["mistral_api_key", "openai_api_key"]
    assert body["settings"][1]["value"] == OPENAI_VALUE


def test_listing_without_keys_returns_the_whole_scope(stored, make_token) -> None:
    body = bearer(make_token(["*_api_key"]).secret).get(SETTINGS_URL).json()
    assert [item["key"] for item in body["settings"]] == sorted(stored)
    assert set(body["settings"][0]) == {"key", "value", "version", "provider", "updated_at"}


def test_listing_too_many_keys_is_a_clear_400(stored, make_token) -> None:
    keys = ",".join(f"key_{i}" for i in range(101))
    response = bearer(make_token().secret).get(SETTINGS_URL, {"keys": keys})
    assert response.status_code == 400
    assert "at most 100 keys" in json.dumps(response.json())


# --- methods, schema, service-only ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_setting_has_no_post_or_patch(stored, make_token, method) -> None:
    response = getattr(bearer(make_token().secret), method)(OPENAI_URL)
    assert response.status_code == 405
    assert Setting.objects.get(key="openai_api_key").value == OPENAI_VALUE


@pytest.mark.parametrize("method", ["put", "delete"])
def test_a_token_without_a_write_scope_only_reads(stored, make_token, method) -> None:
    response = getattr(bearer(make_token().secret), method)(OPENAI_URL)
    assert response.status_code == 403
    assert Setting.objects.get(key="openai_api_key").value == OPENAI_VALUE


def test_service_only_settings_are_readable_by_tokens_in_scope(stored, make_token) -> None:
    Setting.objects.filter(key="openai_api_key").update(service_only=True)
    response = bearer(make_token().secret).get(OPENAI_URL)
    assert response.status_code == 200 and response.json()["value"] == OPENAI_VALUE


def test_the_openapi_schema_describes_the_api(db) -> None:
    response = Client().get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert {"/api/v1/settings/", "/api/v1/settings/{key}"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["serviceToken"]["scheme"] == "bearer"
    responses = schema["paths"]["/api/v1/settings/{key}"]["get"]["responses"]
    assert {"200", "304", "401", "403", "404", "429"} <= set(responses)


def test_the_schema_documents_every_write_operation(db) -> None:
    schema = json.loads(Client().get("/api/v1/schema/", {"format": "json"}).content)
    paths = schema["paths"]
    operations = {
        ("put", "/api/v1/settings/{key}"): {"200", "201", "400", "403", "412", "429"},
        ("delete", "/api/v1/settings/{key}"): {"204", "404", "412"},
        ("post", "/api/v1/settings/{key}/rollback"): {"200", "404", "409", "412"},
        ("post", "/api/v1/settings/{key}/verify"): {"200", "404"},
    }
    for (method, path), statuses in operations.items():
        assert statuses <= set(paths[path][method]["responses"]), (method, path)
    put = paths["/api/v1/settings/{key}"]["put"]
    assert {p["name"] for p in put["parameters"]} >= {"If-Match", "If-None-Match"}
    assert "version" in {p["name"] for p in paths["/api/v1/settings/{key}"]["get"]["parameters"]}


def test_an_undecryptable_value_is_a_500_that_reveals_nothing(stored, make_token, settings):
    from settings_app.encryption import keyring
    from tests.support.keys import test_key

    client = bearer(make_token().secret)
    settings.KEYVAULT_PRIMARY_KEY = test_key("some other key")
    keyring.reset()
    response = client.get(OPENAI_URL)
    assert response.status_code == 500
    assert response.json() == {
        "detail": "A stored value cannot be decrypted with the configured keys.",
        "reason": "unknown_key",
    }


def test_the_answer_has_exactly_the_shape_the_schema_documents(stored) -> None:
    from settings_app.api.reads import as_json
    from settings_app.api.serializers import SettingReadSerializer

    setting = Setting.objects.get(key="openai_api_key")
    assert as_json(setting) == SettingReadSerializer(setting).data


def damage(setting: Setting) -> None:
    """Truncate the stored ciphertext, as a bad restore or a hand edit would."""
    text = raw_value(setting)
    write_raw_value(setting, text[:-8])


def failures_recorded(key: str) -> int:
    return AuditEvent.objects.filter(action=AuditAction.DECRYPTION_FAILED, setting_key=key).count()


def test_one_damaged_row_leaves_the_listing_readable(stored, make_token) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    damage(stored["anthropic_api_key"])
    for _ in range(2):
        response = client.get(SETTINGS_URL)
        assert response.status_code == 200
        entries = {entry["key"]: entry for entry in response.json()["settings"]}
        assert entries["openai_api_key"]["value"] == OPENAI_VALUE
        assert entries["anthropic_api_key"] == {
            "key": "anthropic_api_key",
            "error": "undecryptable",
            "reason": "failed_authentication",
        }
        assert raw_value(stored["anthropic_api_key"])[:20] not in response.content.decode()
    assert failures_recorded("anthropic_api_key") == 1  # once per row, not per request


def test_a_listing_by_keys_answers_the_same_way(stored, make_token) -> None:
    client = bearer(make_token(["*_api_key"]).secret)
    damage(stored["openai_api_key"])
    response = client.get(SETTINGS_URL, {"keys": "openai_api_key,mistral_api_key"})
    assert response.status_code == 200
    assert [entry.get("error") for entry in response.json()["settings"]] == [
        None,
        "undecryptable",
    ]


def test_the_single_read_of_a_damaged_row_is_a_500_with_its_reason(stored, make_token) -> None:
    client = bearer(make_token().secret)
    damage(stored["openai_api_key"])
    response = client.get(OPENAI_URL)
    assert response.status_code == 500
    assert response.json()["reason"] == "failed_authentication"
    assert raw_value(stored["openai_api_key"])[:20] not in response.content.decode()
    client.get(OPENAI_URL)
    assert failures_recorded("openai_api_key") == 1
