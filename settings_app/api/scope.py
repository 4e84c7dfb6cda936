"""A token's scope: the settings it may read, as exact keys and glob patterns such as `openai_*`.

`*` matches any run of characters and `?` exactly one; everything else matches itself, case
included. The same rule runs in Python (`allows`) and in the database (`query`), so a listing
fetches only what the token may read, in one query.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import Q

from ..constants import KEY_CHARACTERS, KEY_MAX_LENGTH

WILDCARDS = "*?"
_PATTERN_CHARACTERS = KEY_CHARACTERS | frozenset(WILDCARDS)


EMPTY_SCOPE = (
    "Give at least one setting key or pattern, e.g. openai_api_key or openai_*, to read or to "
    "call through the gateway."
)


def validate_scope(patterns: object) -> None:
    """A scope is a non-empty list of keys or patterns made of key characters, `*` and `?`."""
    if not isinstance(patterns, list) or not patterns:
        raise ValidationError(EMPTY_SCOPE, code="scope_empty")
    for pattern in patterns:
        _validate_pattern(pattern)


def validate_patterns(patterns: object) -> None:
    """A list of keys or patterns, perhaps empty (a gateway scope is empty by default)."""
    if not isinstance(patterns, list):
        raise ValidationError("A scope is a list of keys or patterns.", code="scope_type")
    for pattern in patterns:
        _validate_pattern(pattern)


def validate_write_scope(patterns: object) -> None:
    """A write scope is like a scope, but may be empty (the default: the token only reads)."""
    validate_patterns(patterns)


def _validate_pattern(pattern: object) -> None:
    if not isinstance(pattern, str) or not 1 <= len(pattern) <= KEY_MAX_LENGTH:
        raise ValidationError(
            f"Each scope entry is a key or pattern of 1 to {KEY_MAX_LENGTH} characters.",
            code="scope_length",
        )
    wrong = sorted(set(pattern) - _PATTERN_CHARACTERS)
    if wrong:
        raise ValidationError(
            f"Scope entry {pattern!r} contains {', '.join(map(repr, wrong))}: use key characters "
            "(letters, digits, '_', '-', '.') and the wildcards '*' and '?', e.g. openai_*.",
            code="scope_character",
        )


def allows(patterns: Iterable[str], key: str) -> bool:
    """True when `key` is one of the patterns or matches one of them."""
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)


def query(patterns: Iterable[str]) -> Q:
    """A filter on Setting.key that selects exactly the keys `allows` accepts."""
    patterns = list(patterns)
    exact = [p for p in patterns if not set(p) & set(WILDCARDS)]
    condition = Q(key__in=exact) if exact else Q(pk__in=[])
    for pattern in patterns:
        if set(pattern) & set(WILDCARDS):
            condition |= Q(key__regex=_regex(pattern))
    return condition


def unmatched(patterns: Iterable[str]) -> list[str]:
    """The patterns that match no existing setting (likely misspelt), in order."""
    from settings_app.models import Setting

    return [p for p in patterns if not Setting.objects.filter(query([p])).exists()]


def _regex(pattern: str) -> str:
    """The pattern as an anchored regular expression every database understands alike."""
    parts = {"*": ".*", "?": "."}
    body = "".join(parts.get(char, re.escape(char)) for char in pattern)
    return f"^{body}$"
