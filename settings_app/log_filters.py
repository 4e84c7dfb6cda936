"""A logging filter that masks keyvault envelopes and provider API keys in log records.

Wire it into LOGGING on every handler::

    "filters": {"redact_secrets": {"()": "settings_app.log_filters.RedactSecretsFilter"}},
    "handlers": {"console": {..., "filters": ["redact_secrets"]}},

What counts as a secret, and how it is masked, is `redaction.redact()`'s job.
"""

from __future__ import annotations

import logging

from .redaction import redact


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
