"""Replacing secrets with `***` in a byte stream that arrives in arbitrary chunks.

A secret may be split across reads, so the masker holds back the end of each chunk while it
could still be the start of a secret, and only that: output that cannot begin a secret is
passed on at once, so a child's prompt or log line is not delayed.

Values shorter than 8 characters are not masked: replacing every `0` would turn `200 OK` into
`2*** OK` and hide nothing worth hiding. Each line of a multi-line value (a PEM key) of 8
characters or more is masked on its own, since a program often prints one line of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = b"***"
MIN_MASKED_LENGTH = 8


def masked_fragments(values: Iterable[str]) -> tuple[list[str], int]:
    """The texts to mask for `values` (each value and each long line of it), and how many
    values are too short to be masked."""
    fragments: list[str] = []
    short = 0
    for value in values:
        if len(value) < MIN_MASKED_LENGTH:
            short += 1
            continue
        fragments.append(value)
        lines = value.splitlines()
        if len(lines) > 1:
            fragments += [line for line in lines if len(line) >= MIN_MASKED_LENGTH]
    return list(dict.fromkeys(fragments)), short


class SecretMasker:
    """Feed chunks in with `feed`, write out what it returns; call `finish` at end of stream."""

    def __init__(self, secrets: Iterable[str]) -> None:
        encoded = sorted({s.encode() for s in secrets if s}, key=len, reverse=True)
        # Longest first, so a secret that starts with a shorter one is masked whole.
        self._pattern = re.compile(b"|".join(re.escape(s) for s in encoded)) if encoded else None
        self._secrets = encoded
        self._first_bytes = frozenset(s[0] for s in encoded)
        self._longest_prefix = max((len(s) - 1 for s in encoded), default=0)
        self._pending = b""

    def feed(self, chunk: bytes) -> bytes:
        """The part of the stream so far that is safe to write, with every secret masked."""
        if self._pattern is None:
            return chunk
        data = self._pending + chunk
        hold = self._hold_start(data)
        out: list[bytes] = []
        position = 0
        for match in self._pattern.finditer(data):
            if match.end() > hold:
                # It reaches into text that may still grow into another secret: wait for more.
                hold = min(hold, match.start())
                break
            out += (data[position : match.start()], MASK)
            position = match.end()
        out.append(data[position:hold])
        self._pending = data[hold:]
        return b"".join(out)

    def finish(self) -> bytes:
        """Whatever was held back, masked: the stream has ended, so nothing more can arrive."""
        rest, self._pending = self._pending, b""
        return rest if self._pattern is None else self._pattern.sub(MASK, rest)

    def _hold_start(self, data: bytes) -> int:
        """Where the longest end of `data` that could still begin a secret starts."""
        for start in range(max(0, len(data) - self._longest_prefix), len(data)):
            if data[start] in self._first_bytes and self._begins_a_secret(data[start:]):
                return start
        return len(data)

    def _begins_a_secret(self, tail: bytes) -> bool:
        """Whether `tail` is the beginning (and not the whole) of some secret."""
        return any(len(s) > len(tail) and s.startswith(tail) for s in self._secrets)
