"""Bedrock's streamed answers (AWS event-stream framing), read with botocore's parser.

Each event is a binary message: prelude, headers, a JSON payload and CRCs. The caller gets the
bytes unchanged; this only reads the JSON inside, for metering. InvokeModelWithResponseStream
wraps the model's own event as `{"bytes": "<base64>"}`; ConverseStream sends its events as
they are (`metadata` carries the usage). Never parsed by hand: botocore checks every CRC.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

from botocore.eventstream import EventStreamBuffer, EventStreamMessage, ParserError

CONTENT_TYPE = "application/vnd.amazon.eventstream"


class EventStreamReader:
    """Feed it the answer's bytes as they arrive; it yields each complete event's JSON."""

    def __init__(self) -> None:
        self._buffer = EventStreamBuffer()
        self._broken = False  # a corrupt frame: relay on, read no further

    def feed(self, chunk: bytes) -> Iterator[Any]:
        if self._broken:
            return
        self._buffer.add_data(chunk)
        try:
            for message in self._buffer:
                yield from _events(message)
        except ParserError:
            self._broken = True


def _events(message: EventStreamMessage) -> Iterator[Any]:
    if message.headers.get(":message-type") != "event":
        return
    payload = _json(message.payload)
    if not isinstance(payload, dict):
        return
    wrapped = payload.get("bytes")
    if isinstance(wrapped, str):  # InvokeModelWithResponseStream: the model's event inside
        try:
            yield _json(base64.b64decode(wrapped, validate=True))
        except binascii.Error:
            return
    else:
        yield payload


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None
