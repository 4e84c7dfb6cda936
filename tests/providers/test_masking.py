"""mask(): a stored key shown as its known provider prefix, "…" and its last 4 characters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settings_app.providers import PROVIDERS
from settings_app.providers.masking import FULL_MASK, mask


@pytest.mark.parametrize(
    ("value", "provider", "expected"),
    [
        # The longest registry prefix wins over a shorter one that also matches.
        ("sk-proj-abcdefghijklmnopxyz9", "openai", "sk-proj-…xyz9"),
        ("sk-svcacct-abcdefghijklmnopxyz9", "openai", "sk-svcacct-…xyz9"),
        ("sk-abcdefghijklmnopqrstxyz9", "openai", "sk-…xyz9"),
        ("sk-ant-api03-abcdefghijklmnopqrxyz9", "anthropic", "sk-ant-api…xyz9"),
        ("AIzaSyAbcdefghijklmnopqrstuvwxyz9", "gemini", "AIza…xyz9"),
        ("gsk_abcdefghijklmnopqrstuvxyz9", "groq", "gsk_…xyz9"),
        ("xai-abcdefghijklmnopqrstuvxyz9", "xai", "xai-…xyz9"),
        ("sk-or-v1-abcdefghijklmnopqrxyz9", "openrouter", "sk-or-…xyz9"),
        # Without a provider (or with "other"), every registry prefix is known.
        ("sk-proj-abcdefghijklmnopxyz9", None, "sk-proj-…xyz9"),
        ("sk-proj-abcdefghijklmnopxyz9", "other", "sk-proj-…xyz9"),
        # Without a known provider prefix, at most the last 4 characters show (issue 22):
        # a label-like start may be part of the secret itself.
        ("correct-horse-battery-staple", "other", "…aple"),
        ("pk_live_abcdefghijklmnopxyz9", "openai", "…xyz9"),
        ("hf_abcdefghijklmnopqrstuvxyz9", "other", "…xyz9"),
        ("pk_live_abcdefghijklmnopxyz9", "other", "…xyz9"),
        ("ab-cd-ef-gh-abcdefghijklmnopxyz9", "other", "…xyz9"),
        ("aB3-defghijklmnopqrstuvxyz9", "other", "…xyz9"),
        ("a1b2_defghijklmnopqrstuvxyz9", "mistral", "…xyz9"),
        ("Abcdefghijklmnopqrstuvwxyz9", "cohere", "…xyz9"),
    ],
)
def test_mask_shows_the_public_prefix_and_last_four(value, provider, expected):
    assert mask(value, provider) == expected


@pytest.mark.parametrize(
    "value", ["", "a", "sk-", "sk-proj-", "12345678", "sk-proj-abcd", "123456789012"]
)
def test_values_of_twelve_characters_or_fewer_are_fully_masked(value):
    assert mask(value, "openai") == FULL_MASK == "••••••••"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A prefix that would leave fewer than 8 characters hidden is dropped.
        ("sk-proj-abcde", "…bcde"),
        ("sk-proj-abcdefghijk", "…hijk"),
        ("sk-proj-abcdefghijkl", "sk-proj-…ijkl"),
    ],
)
def test_short_values_never_reveal_most_of_the_key(value, expected):
    assert mask(value, "openai") == expected


def test_an_unknown_provider_slug_is_treated_like_other():
    assert mask("sk-proj-abcdefghijklmnopxyz9", "no-such-provider") == "sk-proj-…xyz9"


@given(value=st.text(min_size=13, max_size=80), provider=st.sampled_from(["openai", "other", None]))
def test_a_mask_never_reveals_more_than_a_prefix_and_the_last_four(value, provider):
    shown = mask(value, provider)

    prefix, ellipsis, suffix = shown.partition("…")
    assert ellipsis == "…"
    assert suffix == value[-4:]
    assert value.startswith(prefix)
    assert prefix in {p for entry in PROVIDERS.values() for p in entry.key_prefixes} | {""}
    assert len(value) - len(prefix) - 4 >= 8  # at least 8 characters stay hidden
