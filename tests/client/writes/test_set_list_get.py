"""`keyvault set`, `list`, `get --version`, `rollback`, `verify`, `delete` against the real API."""

from __future__ import annotations

import json

import pytest

from keyvault_client import cli
from tests.client.conftest import ApiTarget

from .conftest import NEW_OPENAI, at_a_terminal, keyvault, stored

pytestmark = pytest.mark.django_db(transaction=True)


def test_set_reads_stdin_and_prints_the_new_version(writable_api: ApiTarget) -> None:
    done = keyvault(writable_api, "set", "openai_api_key", stdin=NEW_OPENAI + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2\n"
    assert stored("openai_api_key") == NEW_OPENAI
    assert NEW_OPENAI not in done.stdout + done.stderr


def test_set_with_a_stale_if_version_changes_nothing(writable_api: ApiTarget) -> None:
    keyvault(writable_api, "set", "openai_api_key", stdin=NEW_OPENAI).check_returncode()
    done = keyvault(
        writable_api, "set", "openai_api_key", "--if-version", "1", stdin=NEW_OPENAI[::-1]
    )
    assert done.returncode == cli.EXIT_CONFLICT
    assert "version 2, not 1" in done.stderr and NEW_OPENAI not in done.stderr
    assert stored("openai_api_key") == NEW_OPENAI


def test_set_if_version_0_only_creates(writable_api: ApiTarget) -> None:
    created = keyvault(
        writable_api, "set", "openai_new_key", "--if-version", "0", "--provider", "openai",
        stdin=NEW_OPENAI,
    )  # fmt: skip
    again = keyvault(writable_api, "set", "openai_new_key", "--if-version", "0", stdin="x" * 30)
    assert created.returncode == 0 and created.stdout == "1\n"
    assert again.returncode == cli.EXIT_CONFLICT and stored("openai_new_key") == NEW_OPENAI


def test_set_refusals_are_explained(writable_api: ApiTarget) -> None:
    spaced = keyvault(writable_api, "set", "openai_api_key", stdin="sk-proj-with inner spaces")
    empty = keyvault(writable_api, "set", "openai_api_key", stdin="")
    outside = keyvault(writable_api, "set", "mistral_api_key", stdin=NEW_OPENAI)
    assert spaced.returncode == cli.EXIT_REFUSED and "never contain spaces" in spaced.stderr
    assert empty.returncode == cli.EXIT_USAGE and "no value given" in empty.stderr
    assert outside.returncode == cli.EXIT_FORBIDDEN and "write scope" in outside.stderr
    assert stored("openai_api_key") == writable_api.values["openai_api_key"]


def test_set_at_a_terminal_prompts_without_echo(writable_api: ApiTarget) -> None:
    shown = at_a_terminal(writable_api, "set", "openai_api_key", typed=NEW_OPENAI)
    assert b"Value for openai_api_key" in shown and NEW_OPENAI.encode() not in shown
    assert stored("openai_api_key") == NEW_OPENAI


def test_list_shows_names_versions_and_providers_never_values(writable_api: ApiTarget) -> None:
    keyvault(writable_api, "set", "openai_api_key", stdin=NEW_OPENAI).check_returncode()
    table = keyvault(writable_api, "list")
    as_json = keyvault(writable_api, "list", "--json")
    assert table.returncode == 0 and table.stdout.split("\n")[0].split() == [
        "KEY", "PROVIDER", "VERSION", "UPDATED"
    ]  # fmt: skip
    rows = {line.split()[0]: line.split()[1:3] for line in table.stdout.splitlines()[1:]}
    assert rows == {"anthropic_api_key": ["anthropic", "1"], "openai_api_key": ["openai", "2"]}
    listed = json.loads(as_json.stdout)
    assert {item["key"]: item["version"] for item in listed} == {
        "anthropic_api_key": 1, "openai_api_key": 2
    }  # fmt: skip
    assert set(listed[0]) == {"key", "provider", "version", "updated_at"}
    for value in [*writable_api.values.values(), NEW_OPENAI]:
        assert value not in table.stdout + as_json.stdout


def test_get_version_reads_an_older_value(writable_api: ApiTarget) -> None:
    keyvault(writable_api, "set", "openai_api_key", stdin=NEW_OPENAI).check_returncode()
    old = keyvault(writable_api, "get", "openai_api_key", "--version", "1")
    current = keyvault(writable_api, "get", "openai_api_key")
    missing = keyvault(writable_api, "get", "openai_api_key", "--version", "7")
    assert old.stdout == writable_api.values["openai_api_key"] + "\n"
    assert current.stdout == NEW_OPENAI + "\n"
    assert missing.returncode == cli.EXIT_REFUSED and "no version 7" in missing.stderr


def test_rollback_verify_and_delete(writable_api: ApiTarget) -> None:
    keyvault(writable_api, "set", "openai_api_key", stdin=NEW_OPENAI).check_returncode()
    rolled = keyvault(writable_api, "rollback", "openai_api_key", "1", "--if-version", "2")
    assert rolled.returncode == 0 and rolled.stdout == "3\n", rolled.stderr
    assert stored("openai_api_key") == writable_api.values["openai_api_key"]
    keyvault(
        writable_api, "set", "openai_custom", "--provider", "other", stdin="custom-value-1234"
    ).check_returncode()
    verified = keyvault(writable_api, "verify", "openai_custom")  # no provider to ask: offline
    assert verified.returncode == cli.EXIT_NOT_VALID
    assert verified.stdout.startswith("unverified: ") and "unknown to keyvault" in verified.stdout
    stale = keyvault(writable_api, "delete", "openai_api_key", "--if-version", "1")
    assert stale.returncode == cli.EXIT_CONFLICT and stored("openai_api_key") is not None
    deleted = keyvault(writable_api, "delete", "openai_api_key")
    assert deleted.returncode == 0 and stored("openai_api_key") is None


def test_the_python_client_writes_with_check_and_set(writable_api: ApiTarget) -> None:
    from keyvault_client import Client, Conflict

    with Client(writable_api.url, writable_api.token) as client:  # httpx, pooled
        answer = client.set("openai_api_key", NEW_OPENAI, if_version=1)
        with pytest.raises(Conflict) as stale:
            client.set("openai_api_key", NEW_OPENAI[::-1], if_version=1)
        listed = {item["key"]: item["version"] for item in client.list()}
        older = client.get_version("openai_api_key", 1)
    assert answer["version"] == 2 and stale.value.current_version == 2
    assert listed["openai_api_key"] == 2
    assert older == writable_api.values["openai_api_key"]
    assert NEW_OPENAI not in str(stale.value)
