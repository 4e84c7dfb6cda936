"""`keyvault set KEY --fields`: a structured credential's fields, a JSON object on stdin, written
through the real API on live_server with the admin's rules and check-and-set."""

from __future__ import annotations

import json
import subprocess

import pytest

from keyvault_client import Client, Conflict, cli
from settings_app.credentials import envelope
from settings_app.models import Setting
from tests.client.conftest import ApiTarget
from tests.credentials import samples

from .conftest import at_a_terminal, keyvault

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "openai_azure_prod"  # inside the writer's openai_* scope
NEW_AZURE_KEY = "fedcba9876543210fedcba9876543210"


def stored_fields(key: str = KEY) -> dict[str, str]:
    return envelope.loads(str(Setting.objects.get(key=key).value)).fields


def set_fields(
    api: ApiTarget, fields: object, *options: str, key: str = KEY
) -> subprocess.CompletedProcess[str]:
    text = fields if isinstance(fields, str) else json.dumps(fields)
    return keyvault(api, "set", key, "--fields", *options, stdin=text)


@pytest.fixture
def azure(writable_api: ApiTarget) -> ApiTarget:
    """KEY stored as an Azure OpenAI credential, at version 1."""
    created = set_fields(writable_api, samples.AZURE, "--provider", "azure_openai")
    assert created.returncode == 0 and created.stdout == "1\n", created.stderr
    return writable_api


def test_fields_create_a_structured_credential_and_print_its_version(azure: ApiTarget) -> None:
    assert stored_fields() == samples.AZURE
    assert Setting.objects.get(key=KEY).provider == "azure_openai"
    shown = keyvault(azure, "get", KEY, "--field", "api_key")
    assert shown.stdout == samples.AZURE_KEY + "\n"


def test_fields_left_out_keep_their_values_and_if_version_is_check_and_set(
    azure: ApiTarget,
) -> None:
    changed = set_fields(azure, {"deployment": "gpt-4o-mini"}, "--if-version", "1")
    stale = set_fields(azure, {"deployment": "gpt-35-turbo"}, "--if-version", "1")
    assert changed.returncode == 0 and changed.stdout == "2\n", changed.stderr
    assert stale.returncode == cli.EXIT_CONFLICT and "version 2, not 1" in stale.stderr
    assert stored_fields() == {**samples.AZURE, "deployment": "gpt-4o-mini"}


def test_if_version_0_with_fields_only_creates(azure: ApiTarget) -> None:
    again = set_fields(azure, samples.AZURE, "--if-version", "0", "--provider", "azure_openai")
    assert again.returncode == cli.EXIT_CONFLICT
    assert Setting.objects.get(key=KEY).version == 1


def test_a_routing_change_needs_the_secret_in_the_same_write(azure: ApiTarget) -> None:
    alone = set_fields(azure, {"resource_name": "attacker-owned"})
    assert alone.returncode == cli.EXIT_REFUSED and "where the secrets are sent" in alone.stderr
    assert stored_fields() == samples.AZURE
    both = set_fields(azure, {"resource_name": "contoso-west", "api_key": NEW_AZURE_KEY})
    assert both.returncode == 0 and both.stdout == "2\n", both.stderr
    assert NEW_AZURE_KEY not in both.stdout + both.stderr


@pytest.mark.parametrize(
    ("stdin", "said"),
    [
        ('{"api_key": "' + NEW_AZURE_KEY, "not JSON (Unterminated string"),
        ("api_key=" + NEW_AZURE_KEY, "not JSON (Expecting value at line 1, column 1)"),
        ('["' + NEW_AZURE_KEY + '"]', "a JSON object of at least one field"),
        ("{}", "a JSON object of at least one field"),
        ('{"api_version": 2024}', "field 'api_version' must be text"),
        ("", "no fields given"),
    ],
    ids=["cut-short", "not-json", "a-list", "empty-object", "a-number", "nothing"],
)
def test_bad_fields_are_a_usage_error_that_never_echoes_them(
    azure: ApiTarget, stdin: str, said: str
) -> None:
    done = keyvault(azure, "set", KEY, "--fields", stdin=stdin)
    assert done.returncode == cli.EXIT_USAGE
    assert said in done.stderr and done.stderr.startswith("keyvault set: ")
    assert NEW_AZURE_KEY not in done.stdout + done.stderr
    assert Setting.objects.get(key=KEY).version == 1


def test_the_servers_refusals_are_passed_on(azure: ApiTarget) -> None:
    unknown = set_fields(azure, {"colour": "blue"})
    single = set_fields(azure, {"api_key": NEW_AZURE_KEY}, key="anthropic_api_key")
    not_structured = set_fields(
        azure, {"api_key": NEW_AZURE_KEY}, "--provider", "anthropic", key="anthropic_new"
    )
    assert unknown.returncode == cli.EXIT_REFUSED
    assert "no field 'colour'; their fields are api_key" in unknown.stderr
    assert single.returncode == cli.EXIT_REFUSED
    assert "anthropic_api_key holds one anthropic value" in single.stderr
    assert "send value instead" in single.stderr
    assert not_structured.returncode == cli.EXIT_REFUSED
    assert "fields are for structured credentials" in not_structured.stderr
    assert (
        str(Setting.objects.get(key="anthropic_api_key").value) == azure.values["anthropic_api_key"]
    )
    assert NEW_AZURE_KEY not in unknown.stderr + single.stderr + not_structured.stderr


def test_the_python_client_sets_fields_with_check_and_set(azure: ApiTarget) -> None:
    with Client(azure.url, azure.token) as client:
        answer = client.set_fields(KEY, {"deployment": "gpt-4o-mini"}, if_version=1)
        with pytest.raises(Conflict) as stale:
            client.set_fields(KEY, {"deployment": "gpt-35-turbo"}, if_version=1)
        credential = client.get_credential(KEY)
    assert answer["version"] == 2 and stale.value.current_version == 2
    assert credential.fields["deployment"] == "gpt-4o-mini"


def test_fields_at_a_terminal_are_prompted_for_without_echo(azure: ApiTarget) -> None:
    typed = json.dumps({"api_key": NEW_AZURE_KEY})
    shown = at_a_terminal(azure, "set", KEY, "--fields", "--if-version", "1", typed=typed)
    assert b"Fields for openai_azure_prod, one JSON object (not shown): " in shown
    assert NEW_AZURE_KEY.encode() not in shown and shown.strip().endswith(b"2")
    assert stored_fields() == {**samples.AZURE, "api_key": NEW_AZURE_KEY}
