"""A Meter reads a response as it streams past, and passes on what the caller should receive.

Server-sent events are parsed event by event, and so are Bedrock's binary event streams
(eventstream.py); a JSON body is parsed once it is complete. When
the gateway itself asked an OpenAI-compatible stream for usage (`stream_options.include_usage`),
the usage-only chunk it added (empty `choices`) is removed, so `chunk.choices[0]` loops in the
caller keep working; otherwise every byte passes through untouched, as it arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .eventstream import CONTENT_TYPE as EVENT_STREAM
from .eventstream import EventStreamReader
from .usage import OPENAI, Usage, observe_invocation_header_counts, observe_invocation_metrics

MAX_PARSED_BODY = 16 * 1024 * 1024  # a JSON answer longer than this is relayed, not metered
_EVENT_END = b"\n\n"


class Meter:
    """Usage of one response; `feed()` returns the bytes to relay for each chunk read."""

    def __init__(self, family: str, *, strip_usage_chunk: bool, model: str) -> None:
        self.family = family
        self.streamed = False
        self._strip_asked = strip_usage_chunk and family == OPENAI
        self.usage = Usage(model=model)
        self._pending = b""
        self._body: list[bytes] = []
        self._body_size = 0
        self._frames: EventStreamReader | None = None
        self._headers: Mapping[str, str] = {}

    def start(self, headers: Mapping[str, str]) -> None:
        """Called with the answer's headers: events are read one by one, JSON whole."""
        content_type = headers.get("content-type", "")
        self.streamed = content_type.startswith("text/event-stream")
        if content_type.startswith(EVENT_STREAM):
            self._frames = EventStreamReader()
        self._headers = headers

    @property
    def strip_usage_chunk(self) -> bool:
        return self._strip_asked and self.streamed

    def rewrites(self) -> bool:
        """Whether the caller receives other bytes than the provider sent (no Content-Length)."""
        return self.strip_usage_chunk

    def feed(self, chunk: bytes) -> bytes:
        if self._frames is not None:
            for event in self._frames.feed(chunk):
                self.usage.observe(self.family, event)
                observe_invocation_metrics(self.usage, event)
            return chunk
        if not self.streamed:
            self._keep_body(chunk)
            return chunk
        events, self._pending = _split_events(self._pending + chunk)
        kept = [event for event in events if self._read_event(event)]
        if not self.strip_usage_chunk:
            return chunk
        return b"".join(kept)

    def finish(self) -> tuple[bytes, Usage]:
        """The bytes still held back, and the usage read from the whole response."""
        rest, self._pending = self._pending, b""
        if self._frames is not None:
            return b"", self.usage
        if self.streamed and rest.strip():
            self._read_event(rest)
        elif not self.streamed:
            self._read_body()
        if not self.usage.metered:  # a body in a shape with no usage: Bedrock's own headers
            observe_invocation_header_counts(self.usage, self._headers)
        return (rest if self.strip_usage_chunk else b""), self.usage

    def _keep_body(self, chunk: bytes) -> None:
        self._body_size += len(chunk)
        if self._body_size <= MAX_PARSED_BODY:
            self._body.append(chunk)

    def _read_body(self) -> None:
        if self._body_size > MAX_PARSED_BODY:
            return
        parsed = _json(b"".join(self._body))
        for event in parsed if isinstance(parsed, list) else [parsed]:  # Gemini streams arrays
            self.usage.observe(self.family, event)

    def _read_event(self, event: bytes) -> bool:
        """Observe one event; False when it is the usage-only chunk to be removed."""
        parsed = _json(_event_data(event))
        self.usage.observe(self.family, parsed)
        return not (self.strip_usage_chunk and _is_usage_only(parsed))


def _split_events(data: bytes) -> tuple[list[bytes], bytes]:
    """Complete events (each with its blank-line terminator) and the incomplete remainder."""
    data = data.replace(b"\r\n", b"\n")
    *complete, rest = data.split(_EVENT_END)
    return [event + _EVENT_END for event in complete], rest


def _event_data(event: bytes) -> bytes:
    lines = [line[5:].lstrip() for line in event.split(b"\n") if line.startswith(b"data:")]
    return b"\n".join(lines)


def _json(data: bytes) -> Any:
    if data.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _is_usage_only(event: Any) -> bool:
    return isinstance(event, dict) and event.get("choices") == [] and bool(event.get("usage"))
