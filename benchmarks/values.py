"""Realistic fake API keys (50-160 characters, provider-shaped), reproducible from a seed."""

from __future__ import annotations

import random
import string

_ALPHABET = string.ascii_letters + string.digits + "-_"
_PREFIXES = ("sk-proj-", "sk-ant-api03-", "sk-or-v1-", "gsk_", "xai-", "sk-")


def api_keys(count: int, seed: int = 7) -> list[str]:
    """`count` distinct fake keys; never real, never secret."""
    rng = random.Random(seed)
    keys: set[str] = set()
    while len(keys) < count:
        prefix = rng.choice(_PREFIXES)
        length = rng.randint(50, 160) - len(prefix)
        keys.add(prefix + "".join(rng.choices(_ALPHABET, k=length)))
    return sorted(keys, key=lambda _: rng.random())


def value_of_length(length: int) -> str:
    """One fake key of exactly `length` ASCII characters (= bytes)."""
    rng = random.Random(length)
    return "sk-" + "".join(rng.choices(_ALPHABET, k=length - 3))
