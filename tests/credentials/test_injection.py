"""What `keyvault run` injects, decided in-process: variables, files, masks and refusals."""

from __future__ import annotations

import os
import stat

import pytest

from keyvault_client.credentials import (
    Credential,
    parse_credential,
    remove_files,
    write_private_files,
)
from keyvault_client.errors import NotFound
from keyvault_client.injection import plan
from keyvault_client.variables import MappingError

AZURE = Credential(
    {"api_key": "azure-secret-0123456789", "resource_name": "contoso"},
    {"AZURE_OPENAI_API_KEY": "azure-secret-0123456789", "OPENAI_API_VERSION": "2024-10-21"},
    {},
    ("api_key",),
)
VERTEX = Credential(
    {"private_key": "PEM", "location": "us-central1"},
    {"GOOGLE_CLOUD_LOCATION": "us-central1"},
    {"GOOGLE_APPLICATION_CREDENTIALS": '{"type": "service_account"}'},
    ("private_key",),
)
VALUES: dict[str, str | Credential] = {
    "azure": AZURE,
    "vertex": VERTEX,
    "openai_api_key": "sk-proj-single-0123456789",
}


def test_everything_injects_credentials_whole_and_single_keys_by_name() -> None:
    injection = plan(VALUES, {}, [], everything=True)
    assert injection.variables == {
        "AZURE_OPENAI_API_KEY": "azure-secret-0123456789",
        "OPENAI_API_VERSION": "2024-10-21",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
        "OPENAI_API_KEY": "sk-proj-single-0123456789",
    }
    assert injection.files == {"GOOGLE_APPLICATION_CREDENTIALS": '{"type": "service_account"}'}
    # Secret fields and file contents are masked; a location or API version is not.
    assert set(injection.secrets) == {
        "azure-secret-0123456789",
        "PEM",
        '{"type": "service_account"}',
        "sk-proj-single-0123456789",
    }


def test_chosen_credentials_and_env_mappings_only() -> None:
    injection = plan(VALUES, {"KEY": "openai_api_key"}, ["azure"], everything=False)
    assert set(injection.variables) == {"KEY", "AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION"}
    assert injection.files == {}


@pytest.mark.parametrize(
    ("explicit", "credentials", "message"),
    [
        ({"KEY": "azure"}, [], "--credential azure"),
        ({}, ["openai_api_key"], "--env NAME=openai_api_key"),
        ({"AZURE_OPENAI_API_KEY": "openai_api_key"}, ["azure"], "would both set"),
    ],
)
def test_what_cannot_be_injected_is_explained(
    explicit: dict[str, str], credentials: list[str], message: str
) -> None:
    with pytest.raises(MappingError, match=message):
        plan(VALUES, explicit, credentials, everything=False)


def test_a_missing_credential_is_not_found() -> None:
    with pytest.raises(NotFound):
        plan(VALUES, {}, ["bedrock"], everything=False)


def test_private_files_are_0600_and_removed() -> None:
    variables, paths = write_private_files({"GOOGLE_APPLICATION_CREDENTIALS": "{}"})
    path = variables["GOOGLE_APPLICATION_CREDENTIALS"]
    assert paths == [path]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="utf-8") as handle:
        assert handle.read() == "{}"
    remove_files(paths)
    remove_files(paths)  # already gone: nothing to do
    assert not os.path.exists(path)
    assert write_private_files({}) == ({}, [])


@pytest.mark.parametrize(
    "item",
    [
        {"fields": {"a": "b"}},
        {"fields": {"a": 1}, "env": {}, "files": {}},
        {"fields": [], "env": {}, "files": {}},
    ],
)
def test_an_item_without_a_whole_credential_is_not_one(item: dict[str, object]) -> None:
    assert parse_credential(item) is None


def test_a_credential_item_is_parsed_and_never_shows_a_value() -> None:
    item = {
        "fields": {"api_key": "k" * 20},
        "env": {},
        "files": {},
        "secret_fields": ["api_key", 3],
    }
    credential = parse_credential(item)
    assert credential is not None and credential.secret_fields == ("api_key",)
    assert "k" * 20 not in repr(credential)
