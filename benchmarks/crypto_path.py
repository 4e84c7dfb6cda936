"""Benchmark 1: the field's crypto path against the floor (bare AESGCM with a prebuilt object)."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import connection

from settings_app.crypto import RandomizedCipher, envelope
from settings_app.encryption import keyring

from .benchapp.models import KeyvaultRow
from .report import Result, verdict
from .sizes import Sizes
from .timing import Sample, alternate_timeit, progress, ratio
from .values import value_of_length

TARGET = 1.25
VALUE_BYTES = 128


def floor(secret: bytes, aad: bytes) -> tuple[Callable[[str], bytes], Callable[[bytes], bytes]]:
    """The least work any AES-GCM field must do: base64 plus one AEAD call, nothing else."""
    aead = AESGCM(secret)

    def decrypt(body: str) -> bytes:
        raw = base64.b64decode(body)
        return aead.decrypt(raw[:12], raw[12:], aad)

    def encrypt(data: bytes) -> bytes:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + aead.encrypt(nonce, data, aad))

    return decrypt, encrypt


def _row(name: str, contender: Sample, floor: Sample, *, target: bool = True) -> Result:
    measured = ratio(contender, floor)
    detail = f"{contender.spread(1e6, 'µs')} vs floor {floor.spread(1e6, 'µs')}"
    if not target:
        return Result(name, f"{measured:.2f}x floor", "(reported)", "INFO", detail)
    return Result(
        name, f"{measured:.2f}x floor", f"<= {TARGET}x", verdict(measured <= TARGET), detail
    )


def field_floor() -> tuple[Callable[[str], bytes], Callable[[bytes], bytes]]:
    """The floor for KeyvaultRow.value: same current key, same associated data as the field."""
    field = KeyvaultRow._meta.get_field("value")
    head = envelope.header(envelope.RANDOMIZED, keyring.get_keyset().randomized[0].key_id)
    secret = keyring.get_keyset().randomized[0].secret
    return floor(secret, envelope.associated_data(head, field.context))


def run(sizes: Sizes) -> list[Result]:
    field = KeyvaultRow._meta.get_field("value")
    cipher = field.cipher()
    assert isinstance(cipher, RandomizedCipher)
    text = value_of_length(VALUE_BYTES)
    sealed = cipher.encrypt(text)
    body = sealed[envelope.HEADER_LENGTH :]
    floor_decrypt, floor_encrypt = field_floor()
    assert floor_decrypt(body) == text.encode()  # same key, same AAD: a like-for-like floor
    convert = field.get_db_converters(connection)[0]
    data = text.encode()

    progress(f"crypto path: decrypt, {sizes.rounds} rounds x {sizes.crypto_calls:,} calls")
    reads = alternate_timeit(
        {
            "floor": lambda: floor_decrypt(body),
            "cipher": lambda: cipher.decrypt(sealed),
            "converter": lambda: convert(sealed, None, connection),
        },
        sizes.rounds,
        sizes.crypto_calls,
    )
    progress("crypto path: encrypt")
    writes = alternate_timeit(
        {
            "floor": lambda: floor_encrypt(data),
            "cipher": lambda: cipher.encrypt(text),
            "prep": lambda: field.get_prep_value(text),
        },
        sizes.rounds,
        sizes.crypto_calls,
    )
    return [
        _row("1a Decrypt 128 B: RandomizedCipher.decrypt", reads["cipher"], reads["floor"]),
        _row("1b Decrypt 128 B: field DB converter", reads["converter"], reads["floor"]),
        _row("1c Encrypt 128 B: RandomizedCipher.encrypt", writes["cipher"], writes["floor"]),
        _row(
            "1d Encrypt 128 B: field get_prep_value", writes["prep"], writes["floor"], target=False
        ),
    ]
