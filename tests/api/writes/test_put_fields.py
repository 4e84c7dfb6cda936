"""PUT {"fields": {...}}: structured credentials over the write API, by the admin's rules."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from settings_app.credentials import envelope
from settings_app.models import Setting
from tests.credentials import samples

from .conftest import WriteAPI

URL = "/api/v1/settings/"
KEY = "openai_azure_prod"  # inside the writer's openai_* scopes
OTHER_KEY = "fedcba9876543210fedcba9876543210"


def stored_fields(key: str = KEY) -> dict[str, str]:
    return envelope.loads(str(Setting.objects.get(key=key).value)).fields


def put(write_api: WriteAPI, body: Mapping[str, object], **headers: str) -> tuple[int, str]:
    with write_api.client("writer") as client:
        answer = client.put(URL + KEY, json=body, headers=headers)
    return answer.status_code, answer.text


@pytest.fixture
def stored(write_api: WriteAPI) -> WriteAPI:
    status, text = put(write_api, {"provider": "azure_openai", "fields": samples.AZURE})
    assert status == 201, text
    assert samples.AZURE_KEY not in text  # the answer never carries a secret
    return write_api


def test_fields_create_a_structured_credential(stored: WriteAPI) -> None:
    assert stored_fields() == samples.AZURE
    assert Setting.objects.get(key=KEY).provider == "azure_openai"


def test_fields_left_out_keep_their_stored_values(stored: WriteAPI) -> None:
    status, text = put(stored, {"fields": {"deployment": "gpt-4o-mini"}}, **{"If-Match": '"1"'})
    assert status == 200, text
    assert json.loads(text)["version"] == 2
    assert stored_fields() == {**samples.AZURE, "deployment": "gpt-4o-mini"}


def test_a_routing_change_without_every_secret_is_refused(stored: WriteAPI) -> None:
    status, text = put(stored, {"fields": {"resource_name": "attacker-owned"}})
    assert status == 400
    assert "where the secrets are sent" in text and "api key" in text
    assert stored_fields() == samples.AZURE  # nothing stored
    assert Setting.objects.get(key=KEY).version == 1


def test_a_routing_change_with_the_secret_sent_again_is_stored(stored: WriteAPI) -> None:
    fields = {"resource_name": "contoso-west", "api_key": OTHER_KEY}
    status, text = put(stored, {"fields": fields})
    assert status == 200, text
    assert stored_fields() == {**samples.AZURE, **fields}


def test_a_posted_mask_is_refused(stored: WriteAPI) -> None:
    status, text = put(stored, {"fields": {"api_key": "…cdef"}})
    assert status == 400 and "masked value" in text
    assert stored_fields() == samples.AZURE


def test_a_field_breaking_the_providers_pattern_is_refused(write_api: WriteAPI) -> None:
    fields = {**samples.AZURE, "resource_name": "not a resource!"}
    status, text = put(write_api, {"provider": "azure_openai", "fields": fields})
    assert status == 400 and "resource" in text.lower()
    assert not Setting.objects.filter(key=KEY).exists()


def test_fields_need_a_structured_provider(write_api: WriteAPI) -> None:
    status, text = put(write_api, {"provider": "anthropic", "fields": {"api_key": "x"}})
    assert status == 400 and "structured credential" in text
    assert not Setting.objects.filter(key=KEY).exists()


def test_value_and_fields_together_are_refused(write_api: WriteAPI) -> None:
    body = {"provider": "azure_openai", "value": "x", "fields": samples.AZURE}
    status, text = put(write_api, body)
    assert status == 400 and "not both" in text
    assert not Setting.objects.filter(key=KEY).exists()


def test_a_credential_keeps_its_provider(stored: WriteAPI) -> None:
    status, text = put(stored, {"provider": "bedrock", "fields": samples.BEDROCK})
    assert status == 400 and "stays with its provider" in text
    assert stored_fields() == samples.AZURE


def test_a_stale_if_match_answers_412_without_storing(stored: WriteAPI) -> None:
    status, text = put(stored, {"fields": {"deployment": "gpt-4o-mini"}}, **{"If-Match": '"7"'})
    assert status == 412 and json.loads(text)["current_version"] == 1
    assert stored_fields() == samples.AZURE


def test_an_unknown_field_is_named_with_the_fields_there_are(stored: WriteAPI) -> None:
    status, text = put(stored, {"fields": {"colour": "blue"}})
    assert status == 400
    assert "no field" in text and "colour" in text and "fields are api_key, api_version" in text
    assert Setting.objects.get(key=KEY).version == 1


def test_fields_for_a_single_value_setting_say_to_send_its_value(write_api: WriteAPI) -> None:
    Setting.objects.set_value("openai_custom", "custom-value-1234", provider="other")
    with write_api.client("writer") as client:
        answer = client.put(URL + "openai_custom", json={"fields": {"api_key": OTHER_KEY}})
    assert answer.status_code == 400
    assert "holds one other value" in answer.text and "send value instead" in answer.text
    assert str(Setting.objects.get(key="openai_custom").value) == "custom-value-1234"
