"""The provider registry: pasted keys are tidied, admin keys refused, odd prefixes flagged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from settings_app import providers
from settings_app.providers import (
    MAX_VALUE_LENGTH,
    PROVIDERS,
    clean_value,
    clean_whitespace,
    prefix_hint,
    provider_for_key,
)


@pytest.mark.parametrize(
    ("pasted", "cleaned"),
    [
        ("sk-proj-abc123def456", "sk-proj-abc123def456"),
        ("  sk-proj-abc123def456\n", "sk-proj-abc123def456"),
        ("\r\n\tsk-proj-abc123def456\t\r\n", "sk-proj-abc123def456"),
    ],
)
def test_copy_paste_whitespace_at_the_ends_is_trimmed(pasted: str, cleaned: str) -> None:
    assert clean_value("openai", pasted) == cleaned
    assert clean_whitespace(pasted) == cleaned  # the one rule, shared with find_secret


def test_clean_whitespace_trims_every_kind_of_whitespace_at_the_ends_only() -> None:
    inner = "a\u00a0b\u2003c\x0bd\x0ce"
    assert clean_whitespace(f"\u00a0\u2003\x0b{inner}\x0c\u3000 ") == inner
    assert clean_whitespace(" \n\t\u3000 ") == ""


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("short", "too_short", "The key is too short (5 characters); paste the whole key."),
        (" \n ", "too_short", "The key is too short (0 characters); paste the whole key."),
        ("k" * (MAX_VALUE_LENGTH + 1), "too_long", "The key is too long (4097 characters"),
    ],
)
def test_impossible_lengths_are_refused_with_a_reason(value: str, code: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        clean_value("other", value)

    assert raised.value.code == code
    assert raised.value.messages[0].startswith(message)


@pytest.mark.parametrize(
    ("provider", "value", "expected"),
    [
        ("openai", "sk-admin-SECRET0123456789", "OpenAI admin key"),
        ("anthropic", "sk-ant-admin01-SECRET0123456789", "Anthropic Admin API key"),
    ],
)
def test_admin_keys_are_refused_without_quoting_them(
    provider: str, value: str, expected: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        clean_value(provider, value)

    assert raised.value.code == "admin_key"
    assert expected in raised.value.messages[0]
    assert "SECRET" not in raised.value.messages[0]


def test_an_admin_prefix_is_only_refused_for_its_own_provider() -> None:
    assert clean_value("other", "sk-admin-0123456789") == "sk-admin-0123456789"


@pytest.mark.parametrize(
    ("provider", "value"),
    [
        ("openai", "sk-proj-abc"),
        ("openai", "sk-abc"),
        ("anthropic", "sk-ant-api03-abc"),
        ("gemini", "AIzaSyabc"),
        ("groq", "gsk_abc"),
        ("openrouter", "sk-or-v1-abc"),
        ("xai", "xai-abc"),
        ("mistral", "anything"),
        ("other", "anything"),
    ],
)
def test_usual_prefixes_get_no_hint(provider: str, value: str) -> None:
    assert prefix_hint(provider, value) is None


def test_an_unusual_prefix_gets_a_hint_that_names_the_expected_ones() -> None:
    hint = prefix_hint("anthropic", "sk-proj-SECRET")

    assert hint is not None
    assert hint.startswith("Anthropic keys usually start with 'sk-ant-api'; this one does not.")
    assert "SECRET" not in hint


def test_conventional_setting_keys_name_their_provider() -> None:
    for slug, provider in PROVIDERS.items():
        assert provider_for_key(provider.setting_key) == slug
    assert provider_for_key("internal_token") == "other"


def test_an_unknown_key_name_leaves_the_provider_as_it_was() -> None:
    assert provider_for_key("internal_token", default="mistral") == "mistral"
    assert provider_for_key("groq_api_key", default="mistral") == "groq"


def test_every_provider_is_verifiable_over_https_without_a_completion() -> None:
    for provider in PROVIDERS.values():
        assert provider.base_url.startswith("https://")
        assert provider.verify_path.startswith("/")
        assert "completion" not in provider.verify_path
        assert "messages" not in provider.verify_path
        assert provider.base_url_setting == f"KEYVAULT_{provider.slug.upper()}_BASE_URL"


# --- whitespace: trimmed at the ends, kept inside only where keys may have it ----------------
@pytest.mark.parametrize(
    ("pasted", "kept"),
    [
        ("pass phrase with spaces", "pass phrase with spaces"),
        ("  line one\nline two\r\n", "line one\nline two"),
        ("\ttabbed\tvalue \n", "tabbed\tvalue"),
    ],
)
def test_an_other_value_keeps_inner_whitespace_exactly(pasted: str, kept: str) -> None:
    assert clean_value("other", pasted) == kept


@pytest.mark.parametrize("provider", list(PROVIDERS))
@pytest.mark.parametrize("inner", [" ", "\n", "\r\n", "\t", "\u00a0"])
def test_inner_whitespace_in_a_provider_key_is_refused_without_quoting_it(
    provider: str, inner: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        clean_value(provider, f"SECRETPART{inner}0123456789")

    assert raised.value.code == "inner_whitespace"
    [message] = raised.value.messages
    assert message.startswith(f"{PROVIDERS[provider].name} keys never contain spaces or line")
    assert "SECRETPART" not in message


def test_clean_whitespace_trims_only_the_ends() -> None:
    assert providers.clean_whitespace("  a b\nc \r\n") == "a b\nc"


# --- prefixes that contradict a provider ------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "value", "owners"),
    [
        ("openai", "xai-abc", ["xai"]),
        ("openai", "sk-ant-api03-abc", ["anthropic"]),
        ("deepseek", "sk-svcacct-abc", ["openai"]),
        ("gemini", "sk-abc", ["openai", "deepseek"]),
        ("mistral", "gsk_abc", ["groq"]),
    ],
)
def test_a_prefix_of_other_providers_only_contradicts(
    provider: str, value: str, owners: list[str]
) -> None:
    found = providers.contradicting_prefix(provider, value)

    assert found is not None
    assert [p.slug for p in found.owners] == owners


@pytest.mark.parametrize(
    ("provider", "value"),
    [
        ("openai", "sk-abc"),  # shared with DeepSeek: not distinctive
        ("deepseek", "sk-abc"),
        ("openai", "sk-proj-abc"),
        ("anthropic", "sk-ant-api03-abc"),
        ("mistral", "abc"),
        ("other", "xai-abc"),  # "other" may hold anything
        ("openai", "sk-admin-abc"),  # its own (refused on save, but not contradicting)
    ],
)
def test_a_prefix_its_provider_uses_does_not_contradict(provider: str, value: str) -> None:
    assert providers.contradicting_prefix(provider, value) is None
