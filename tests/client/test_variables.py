"""Which settings `keyvault run` puts in which variables without --env (issue 22, items 2-3)."""

from __future__ import annotations

import pytest

from keyvault_client import variables
from keyvault_client.variables import automatic_variables
from settings_app import providers


@pytest.mark.parametrize(
    "key",
    ["sslkeylogfile", "node_tls_reject_unauthorized", "lua_init", "glibc_tunables",
     "dotnet_startup_hooks", "path", "ld_preload", "openai_base_url", "keyvault_token"],
)  # fmt: skip
def test_a_name_outside_the_allow_list_is_skipped_with_the_flag_to_use(key: str) -> None:
    names, skipped = automatic_variables([key, "openai_api_key"], {})
    assert names == {"OPENAI_API_KEY": "openai_api_key"}
    (line,) = skipped
    name = key.upper()
    assert repr(key) in line and f"--env {name}={key}" in line


@pytest.mark.parametrize(
    "key", ["openai_api_key", "co_api_key", "github_token", "stripe_secret", "hf-token"]
)
def test_sdk_names_and_secret_suffixes_are_automatic(key: str) -> None:
    names, skipped = automatic_variables([key], {})
    assert names == {variables.variable_name(key): key} and skipped == []


def test_every_registered_provider_key_is_an_automatic_name() -> None:
    for provider in providers.PROVIDERS.values():
        assert provider.setting_key.upper() in variables.PROVIDER_VARIABLES


def test_a_colliding_name_is_skipped_and_the_plain_key_keeps_it() -> None:
    names, skipped = automatic_variables(["openai.api.key", "openai_api_key", "openai-api-key"], {})
    assert names == {"OPENAI_API_KEY": "openai_api_key"}
    assert len(skipped) == 2 and all("OPENAI_API_KEY" in line for line in skipped)
    assert any("'openai.api.key'" in line for line in skipped)


def test_a_collision_without_a_plain_key_skips_every_one_of_them() -> None:
    names, skipped = automatic_variables(["a.b_token", "a-b_token", "c_token"], {})
    assert names == {"C_TOKEN": "c_token"} and len(skipped) == 2


def test_a_name_starting_with_a_digit_is_skipped() -> None:
    names, skipped = automatic_variables(["1password_token", "openai_api_key"], {})
    assert names == {"OPENAI_API_KEY": "openai_api_key"}
    (line,) = skipped
    assert "'1password_token'" in line and "--env NAME=1password_token" in line


def test_explicit_mappings_win_and_silence_the_skips() -> None:
    names, skipped = automatic_variables(
        ["path", "openai_api_key", "other_api_key"], {"OPENAI_API_KEY": "other_api_key"}
    )
    assert names == {} and len(skipped) == 1 and "'path'" in skipped[0]
