"""Two line formats, chosen by KEYVAULT_LOG_FORMAT: text for people, JSON for log pipelines.

Both carry a UTC ISO-8601 timestamp, the level, the logger and the request id. JSON lines are
redacted once more as a whole, so fields passed with `extra=` are masked like the message.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from .redaction import redact

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s %(client_address)s %(token_name)s"
CONTEXT_FIELDS = ("request_id", "client_address", "token_name")
JSON_RENAMES = {"levelname": "level", "name": "logger"}


def utc_timestamp(record: logging.LogRecord) -> str:
    """2026-12-07T13:09:22.123+00:00: sortable, unambiguous, the same on every host."""
    return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


class TextFormatter(logging.Formatter):
    """One readable line: timestamp, level, logger, [request id], message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT, defaults={"request_id": "-"})

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_timestamp(record)

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", ""):
            record.request_id = "-"
        return super().format(record)


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line, every field redacted."""

    def __init__(self, **options: Any) -> None:
        super().__init__(
            JSON_FIELDS,
            rename_fields=JSON_RENAMES,
            # Django passes the request object along: its repr would add the query string.
            reserved_attrs=[*RESERVED_ATTRS, "request"],
            **options,
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data["timestamp"] = utc_timestamp(record)
        super().add_fields(log_data, record, message_dict)
        for name in CONTEXT_FIELDS:  # records from outside Django (gunicorn's) lack them
            if log_data.get(name) is None:
                log_data[name] = ""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
