"""Logging filters: mask secrets, stamp each record with its request, and keep probes out of
access logs. `config.py` wires them into LOGGING; what counts as a secret is `redaction.redact()`'s
job."""

from __future__ import annotations

import logging

from . import context
from .redaction import redact

ACCESS_LOGGER = "keyvault.access"
# Load balancers and Prometheus poll these every few seconds: their lines would drown the rest.
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")


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


class RequestContextFilter(logging.Filter):
    """Adds request_id, client_address and token_name to every record ("" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = context.current()
        if not current.request_id:  # django.request logs 4xx/5xx after the middleware ended
            current = getattr(getattr(record, "request", None), "keyvault_context", current)
        for name in ("request_id", "client_address", "token_name"):
            if not getattr(record, name, ""):
                setattr(record, name, getattr(current, name))
        return True


class QuietProbesFilter(logging.Filter):
    """Drops access lines (the development server's and ours) for the probe endpoints, and
    Django's line for each 503 of /readyz: an outage would otherwise mail ADMINS every poll
    (the failing check is logged once per poll as a warning, by health/checks.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == ACCESS_LOGGER:
            return not is_probe(str(getattr(record, "path", "")))
        if record.name == "django.request":
            return not is_probe(str(getattr(getattr(record, "request", None), "path", "")))
        if record.name == "django.server" and isinstance(record.args, tuple) and record.args:
            # It logs '"%s" %s %s' with the request line first: "GET /healthz HTTP/1.1".
            parts = str(record.args[0]).split(" ")
            return not (len(parts) > 1 and is_probe(parts[1]))
        return True


def is_probe(path: str) -> bool:
    """Whether `path` is one of the probe endpoints (query string ignored)."""
    return path.split("?", 1)[0].rstrip("/") in PROBE_PATHS
