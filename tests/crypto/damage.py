"""Damaged versions of a real envelope, exhaustive for bit flips and truncations.

Bits 0-6 of every character are flipped (the text stays ASCII); extensions append single
characters, base64 chunks and a whole second envelope.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator

# Payload lengths 28+n (GCM) and 16+n (SIV) cover every remainder mod 3 among these.
PLAINTEXTS = ["", "a", "ab", "sk-live-0123456789abcdef"]
APPENDED = [*string.printable, "\x00", "é", "€", "==", "==="]
APPENDED_CHUNKS = ["AAAA", "QUJD", "AA==", "AAA=", "====", "AAAAAAAAAAAAAAAAAAAAAA==", "$kv1$r$"]


def bit_flips(envelope: str) -> Iterator[str]:
    for index, char in enumerate(envelope):
        for bit in range(7):
            yield envelope[:index] + chr(ord(char) ^ (1 << bit)) + envelope[index + 1 :]


def truncations(envelope: str) -> Iterator[str]:
    return (envelope[:length] for length in range(len(envelope)))


def extensions(envelope: str) -> Iterator[str]:
    yield from (envelope + tail for tail in [*APPENDED, *APPENDED_CHUNKS, envelope])


DAMAGE: dict[str, Callable[[str], Iterator[str]]] = {
    "bit flip": bit_flips,
    "truncation": truncations,
    "extension": extensions,
}
