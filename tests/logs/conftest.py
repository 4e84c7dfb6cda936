"""The console handler as configured by LOGGING, writing into a buffer the test reads."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from settings_app.logs.formatters import RedactingJsonFormatter, TextFormatter
from tests.api.conftest import make_token, stored  # noqa: F401  (fixtures)
from tests.support.role_users import key_admin, setting  # noqa: F401  (fixtures)


class Captured:
    """What the console handler wrote while the fixture was in force."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        """Every line as JSON: one that is not JSON fails the test."""
        return [json.loads(line) for line in self.lines()]


def console_handler() -> logging.StreamHandler[Any]:
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(handler, logging.StreamHandler)
    return handler


@pytest.fixture
def console() -> Iterator[Callable[[str], Captured]]:
    """`console("json")` or `console("text")`: the real handler (its filters included), with
    that format, writing to a buffer until the test ends."""
    handler = console_handler()
    formatter, stream = handler.formatter, handler.stream

    def capture(log_format: str) -> Captured:
        buffer = io.StringIO()
        handler.setStream(buffer)
        handler.setFormatter(RedactingJsonFormatter() if log_format == "json" else TextFormatter())
        return Captured(buffer)

    yield capture
    handler.setFormatter(formatter)
    handler.setStream(stream)
