"""Masking: the one way a stored key is shown to people, e.g. `sk-proj-…xyz9`.

A mask keeps only what is public anyway (a provider's key prefix) and the last four characters
people use to tell keys apart. Everything else is replaced by "…".
"""

from __future__ import annotations

from . import registry as providers

FULL_MASK = "•" * 8
ELLIPSIS = "…"
SHORT_VALUE_LENGTH = 12  # values this short are masked completely
VISIBLE_SUFFIX_LENGTH = 4
GENERIC_PREFIX_SCAN = 8  # an unknown prefix is looked for only in the first characters
MIN_HIDDEN_LENGTH = 8  # a prefix is dropped when it would leave less than this hidden
_GENERIC_PREFIX_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz-_")


def mask(value: str, provider: str | None = None) -> str:
    """`value` as public prefix + "…" + last 4 characters; short values fully masked."""
    if len(value) <= SHORT_VALUE_LENGTH:
        return FULL_MASK
    prefix = public_prefix(value, provider)
    if len(value) - len(prefix) - VISIBLE_SUFFIX_LENGTH < MIN_HIDDEN_LENGTH:
        prefix = ""  # the prefix and suffix together would give away most of the key
    return f"{prefix}{ELLIPSIS}{value[-VISIBLE_SUFFIX_LENGTH:]}"


def public_prefix(value: str, provider: str | None = None) -> str:
    """The longest registry prefix `value` starts with, else the generic prefix rule."""
    known = registry_prefixes(provider)
    matching = [prefix for prefix in known if value.startswith(prefix)]
    if matching:
        return max(matching, key=len)
    return generic_prefix(value)


def registry_prefixes(provider: str | None) -> tuple[str, ...]:
    """The prefixes of `provider`, or of every registry provider when it is unknown."""
    found = providers.get_provider(provider) if provider else None
    if found is not None and found.key_prefixes:
        return found.key_prefixes
    return tuple(p for entry in providers.PROVIDERS.values() for p in entry.key_prefixes)


def generic_prefix(value: str) -> str:
    """Text up to the last '-' or '_' in the first 8 characters, if it looks like a label.

    Only lowercase letters and separators count (`pk_live_`, `hf_`): random key material
    has digits or capitals, and must not be shown as a "prefix".
    """
    head = value[:GENERIC_PREFIX_SCAN]
    end = max(head.rfind("-"), head.rfind("_"))
    if end < 1:
        return ""
    candidate = head[: end + 1]
    return candidate if set(candidate) <= _GENERIC_PREFIX_CHARACTERS else ""
