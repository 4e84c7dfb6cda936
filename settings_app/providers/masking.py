"""Masking: the one way a stored key is shown to people, e.g. `sk-proj-…xyz9`.

A mask keeps only what is public anyway (a registered provider's key prefix) and the last four
characters people use to tell keys apart. A value without a known prefix shows its last four
characters at most: a label-like start (`correct-horse-…`) may be part of the secret itself.
Every mask (key list, e-mails, webhooks, import previews) comes from `mask`.
"""

from __future__ import annotations

from . import registry as providers

FULL_MASK = "•" * 8
ELLIPSIS = "…"
SHORT_VALUE_LENGTH = 12  # values this short are masked completely
VISIBLE_SUFFIX_LENGTH = 4
MIN_HIDDEN_LENGTH = 8  # a prefix is dropped when it would leave less than this hidden


def mask(value: str, provider: str | None = None) -> str:
    """`value` as known prefix + "…" + last 4 characters; short values fully masked."""
    if len(value) <= SHORT_VALUE_LENGTH:
        return FULL_MASK
    prefix = public_prefix(value, provider)
    if len(value) - len(prefix) - VISIBLE_SUFFIX_LENGTH < MIN_HIDDEN_LENGTH:
        prefix = ""  # the prefix and suffix together would give away most of the key
    return f"{prefix}{ELLIPSIS}{value[-VISIBLE_SUFFIX_LENGTH:]}"


def public_prefix(value: str, provider: str | None = None) -> str:
    """The longest registry prefix `value` starts with, else nothing."""
    matching = [prefix for prefix in registry_prefixes(provider) if value.startswith(prefix)]
    return max(matching, key=len, default="")


def registry_prefixes(provider: str | None) -> tuple[str, ...]:
    """The prefixes of `provider`, or of every registry provider when it is unknown."""
    found = providers.get_provider(provider) if provider else None
    if found is not None and found.key_prefixes:
        return found.key_prefixes
    return tuple(p for entry in providers.PROVIDERS.values() for p in entry.key_prefixes)
