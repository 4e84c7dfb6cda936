"""The LLM providers keyvault knows: their registry, how keys are masked and how they are verified.

The registry's names are exported here (`providers.clean_value`, `providers.CHOICES`) because
the models need them; masking and verification are imported from their own modules.
"""

from __future__ import annotations

from .registry import (
    CHOICES,
    MAX_VALUE_LENGTH,
    MIN_VALUE_LENGTH,
    OTHER,
    PROVIDERS,
    PrefixContradiction,
    Provider,
    clean_value,
    clean_whitespace,
    contradicting_prefix,
    get_provider,
    prefix_hint,
    provider_for_key,
)

__all__ = [
    "CHOICES",
    "MAX_VALUE_LENGTH",
    "MIN_VALUE_LENGTH",
    "OTHER",
    "PROVIDERS",
    "PrefixContradiction",
    "Provider",
    "clean_value",
    "clean_whitespace",
    "contradicting_prefix",
    "get_provider",
    "prefix_hint",
    "provider_for_key",
]
