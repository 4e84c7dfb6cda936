"""A logging filter that masks keyvault envelopes and provider API keys in log records.

Wire it into LOGGING on every handler::

    "filters": {"redact_secrets": {"()": "settings_app.log_filters.RedactSecretsFilter"}},
    "handlers": {"console": {..., "filters": ["redact_secrets"]}},

It is a safety net for mistakes elsewhere, not a licence to log secrets: it knows only keys with
a recognisable prefix (see providers.PROVIDERS), so prefix-less keys (e.g. Mistral, Cohere) pass.
"""

from __future__ import annotations

import functools
import logging
import re

from . import providers
from .api.tokens import PREFIX as SERVICE_TOKEN_PREFIX
from .api.tokens import TOKEN_PATTERN as SERVICE_TOKEN
from .crypto.envelope import MARKER

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


def redact(text: str) -> str:
    """`text` with envelopes, service tokens and prefixed API keys replaced by their prefix
    and [REDACTED]."""
    text = _ENVELOPE.sub(MARKER + REDACTED, text)
    text = SERVICE_TOKEN.sub(SERVICE_TOKEN_PREFIX + REDACTED, text)
    return _key_pattern().sub(lambda match: match[1] + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message (and traceback text) with secrets masked; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            formatted = True
        except Exception:  # a bad format string must not leak its arguments unredacted
            message, formatted = f"{record.msg} {record.args!r}", False
        redacted = redact(message)
        if redacted != message or not formatted:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text, so the traceback is written redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
