"""Redaction: the one marker and the one `redact()` for text that may carry a secret.

Log records (`filters.py`), audit details and user agents (`audit/recording.py`) and
provider answers shown in the admin (`admin.py`) all go through `redact()`, so a masked secret
reads the same everywhere: `sk-proj-[REDACTED]`, `$kv[REDACTED]`, `kvt_[REDACTED]` (a service
token), or `[REDACTED]` alone for a known value cut out whole.

It is a safety net for mistakes elsewhere, not a licence to log secrets: unless the caller names
the secret, it knows only keys with a recognisable prefix (see providers.PROVIDERS), so
prefix-less keys (e.g. Mistral, Cohere) pass.
"""

from __future__ import annotations

import functools
import re

from .. import providers
from ..api.tokens import PREFIX as SERVICE_TOKEN_PREFIX
from ..api.tokens import TOKEN_PATTERN as SERVICE_TOKEN
from ..crypto.envelope import MARKER

REDACTED = "[REDACTED]"
# Characters after a prefix before a string counts as a key: real keys carry 30+.
_MIN_KEY_BODY = 16
_ENVELOPE = re.compile(re.escape(MARKER) + r"[0-9A-Za-z$+/=_-]+")


@functools.cache
def _key_pattern() -> re.Pattern[str]:
    """Every provider key prefix, longest first so `sk-ant-` wins over `sk-`."""
    prefixes = {prefix for p in providers.PROVIDERS.values() for prefix in p.key_prefixes}
    prefixes |= {prefix for p in providers.PROVIDERS.values() for prefix, _ in p.refused_prefixes}
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return re.compile(rf"(?<![0-9A-Za-z])({alternatives})[0-9A-Za-z_-]{{{_MIN_KEY_BODY},}}")


def redact(text: str, *known_secrets: str | None) -> str:
    """`text` with each of `known_secrets` cut out whole, then envelopes and prefixed API keys
    replaced by their prefix and the marker.

    Name the secret when you have it (a provider's answer may echo the key it was sent, and a
    prefix-less key matches no pattern); empty or None secrets are ignored.
    """
    for secret in known_secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _ENVELOPE.sub(MARKER + REDACTED, text)
    text = SERVICE_TOKEN.sub(SERVICE_TOKEN_PREFIX + REDACTED, text)
    return _key_pattern().sub(lambda match: match[1] + REDACTED, text)
