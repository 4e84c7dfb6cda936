"""Field ciphers: encrypt and decrypt the values of one field (its context) under a key set.

`RandomizedCipher` is AES-256-GCM with a fresh 96-bit random nonce per value (the default).
`DeterministicCipher` is AES-256-SIV (RFC 5297), a deterministic AEAD: the same text in the
same field always gives the same envelope, so equality lookups work, and nothing but equality
leaks. SIV derives its IV from the key, the associated data and the plaintext, so there is no
nonce to get wrong (a fixed nonce with plain GCM would be catastrophic).

The decrypt path is the hot path of every ORM read: one slice, one dict lookup by header
(version, mode and key id at once), one base64 decode and one AEAD call.
"""

from __future__ import annotations

import binascii
import os
import string
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV

from . import envelope
from .errors import DecryptionError
from .keyset import DerivedKey

NONCE_BYTES = 12
HEADER_LENGTH = envelope.HEADER_LENGTH
_decode_payload = envelope.decode_payload  # the one canonical-base64 rule, bound locally
_encode_payload = envelope.encode_payload
_a2b = binascii.a2b_base64
_BASE64 = string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/"
# decode_payload's canonical rule as the last 3 characters of a padded payload, for
# column_reader; such a payload also fills whole 4-character quanta. Anything else goes through
# decode_payload itself.
_CANONICAL_PADDED = frozenset(
    [c + "==" for c in envelope._CANONICAL_LAST[1]]
    + [a + c + "=" for a in _BASE64 for c in envelope._CANONICAL_LAST[2]]
)

ColumnReader = Callable[[Any, Any, Any], Any]

ValueState = Literal["current", "fallback", "plaintext", "unknown-key", "damaged"]


def _to_bytes(plaintext: str) -> bytes:
    try:
        return plaintext.encode("utf-8")
    except UnicodeEncodeError:
        # The codec's message would quote the offending character: say where, not what.
        raise ValueError("The value is not valid Unicode text (it contains a surrogate).") from None


class FieldCipher:
    """Shared table and diagnostics; subclasses implement the AEAD calls."""

    mode: ClassVar[str]

    def __init__(
        self, keys: Sequence[DerivedKey], context: str, *, allow_plaintext: bool = False
    ) -> None:
        if not keys:
            raise ValueError("A field cipher needs at least one key.")
        self.context = context
        self.allow_plaintext = allow_plaintext
        self.key_ids = tuple(key.key_id for key in keys)
        self.current_key_id = self.key_ids[0]
        self._table: dict[str, tuple[Any, bytes]] = {}  # (AESGCM or AESSIV, associated data)
        for key in keys:
            head = envelope.header(self.mode, key.key_id)
            self._table[head] = (
                self._new_aead(key.secret),
                envelope.associated_data(head, context),
            )
        self._current_header = envelope.header(self.mode, self.current_key_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.context} keys={list(self.key_ids)}>"

    @staticmethod
    def _new_aead(secret: bytes) -> AESGCM | AESSIV:
        raise NotImplementedError

    def encrypt(self, plaintext: str) -> str:
        """The envelope of `plaintext` under the current key."""
        raise NotImplementedError

    def decrypt(self, text: str) -> str:
        """The plaintext of an envelope; DecryptionError for anything that does not verify."""
        raise NotImplementedError

    def column_reader(self) -> ColumnReader:
        """`decrypt` for a per-row loop: `read(value, _, _)`, where None stays None.

        The two ignored arguments give it the shape of a database converter (fields.py).
        """
        decrypt = self.decrypt

        def read(value: Any, _expression: Any, _connection: Any) -> Any:
            return None if value is None else decrypt(value)

        return read

    def is_current(self, text: str) -> bool:
        """True if `text` is an envelope of this field under the current key (no decryption)."""
        return text.startswith(self._current_header)

    def key_id_of(self, text: str) -> str | None:
        """The key id named in an envelope's header, or None for anything else."""
        try:
            return envelope.parse_header(text)[2] or None
        except DecryptionError:
            return None

    def classify(self, text: str) -> ValueState:
        """Where a stored value stands, verifying it: what reencrypt and status report."""
        if not envelope.looks_like_envelope(text):
            return "plaintext"
        try:
            self.decrypt(text)
        except DecryptionError:
            head = text[:HEADER_LENGTH]
            known = head in self._table or self.key_id_of(text) is None
            return "damaged" if known else "unknown-key"
        return "current" if text.startswith(self._current_header) else "fallback"

    def _decrypt_unusual(self, text: str) -> str:
        """Everything that is not an envelope under a configured key: the slow path."""
        if not envelope.looks_like_envelope(text):
            if self.allow_plaintext:
                return text  # legacy plaintext, encrypted on its next save
            raise DecryptionError(
                f"{self.context} holds a value that is not encrypted. To migrate legacy "
                "plaintext: set KEYVAULT_SUPPORT_UNENCRYPTED_DATA=true, run `python manage.py "
                "reencrypt`, then turn the setting off again."
            )
        try:
            version, mode, key_id = envelope.parse_header(text)
        except DecryptionError as error:
            raise DecryptionError(f"{self.context}: {error}") from None
        if version != envelope.VERSION:
            raise DecryptionError(
                f"{self.context} holds a ciphertext of format version {version!r}, which this "
                "version of keyvault does not read."
            )
        if mode != self.mode:
            raise DecryptionError(
                f"{self.context} holds a ciphertext of mode {mode!r} where mode {self.mode!r} "
                "is expected (was the field's deterministic option changed?)."
            )
        raise DecryptionError(
            f"{self.context} holds a ciphertext under key id {key_id}, which is not configured. "
            "If it was a fallback key, it was removed too early: put it back in the fallbacks, "
            "run `python manage.py reencrypt`, and retire it once `encryption_status` says so."
        )

    def _tampered(self) -> DecryptionError:
        return DecryptionError(
            f"{self.context} holds a ciphertext that failed authentication: it was altered, "
            "copied from another field, or written under a different key."
        )


class RandomizedCipher(FieldCipher):
    """AES-256-GCM with a fresh random nonce per value; the current key encrypts."""

    mode = envelope.RANDOMIZED

    @staticmethod
    def _new_aead(secret: bytes) -> AESGCM:
        return AESGCM(secret)

    def encrypt(self, plaintext: str) -> str:
        return self._encrypt_with_nonce(plaintext, os.urandom(NONCE_BYTES))

    def _encrypt_with_nonce(self, plaintext: str, nonce: bytes) -> str:
        # Private: tests pin the nonce for known-answer vectors. Callers never choose nonces.
        aead, aad = self._table[self._current_header]
        sealed = aead.encrypt(nonce, _to_bytes(plaintext), aad)
        return self._current_header + _encode_payload(nonce + sealed)

    def decrypt(self, text: str) -> str:
        entry = self._table.get(text[:HEADER_LENGTH])
        if entry is None:
            return self._decrypt_unusual(text)
        try:
            raw = _decode_payload(text[HEADER_LENGTH:])
            return entry[0].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], entry[1]).decode()
        except (InvalidTag, ValueError, IndexError):
            raise self._tampered() from None

    def column_reader(self) -> ColumnReader:
        """One Python call per row for values under the current key, the ORM's hot path.

        Three calls per row (converter, decrypt, decode_payload) cost ORM reads 3-6% against bare
        AES-GCM (benchmarks/orm.py). Anything else goes to `decrypt`, whose errors it keeps.
        """
        aead, aad = self._table[self._current_header]

        def read(  # the defaults bind what every row needs as fast locals
            value: Any,
            _expression: Any,
            _connection: Any,
            head: str = self._current_header,
            a2b: Callable[..., bytes] = _a2b,
            padded: frozenset[str] = _CANONICAL_PADDED,
            open_sealed: Callable[[bytes, bytes, bytes], bytes] = aead.decrypt,
            aad: bytes = aad,
            decrypt: Callable[[str], str] = self.decrypt,
        ) -> Any:
            if value is not None and value[:HEADER_LENGTH] == head:
                body = value[HEADER_LENGTH:]
                tail = body[-3:]
                try:
                    raw = a2b(body, strict_mode=True)
                    if tail[2] != "=" or (tail in padded and not len(body) & 3):
                        return open_sealed(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode()
                except (InvalidTag, ValueError, IndexError):
                    pass
            return None if value is None else decrypt(value)

        return read


class DeterministicCipher(FieldCipher):
    """AES-256-SIV: equal plaintexts in one field give equal envelopes under one key."""

    mode = envelope.DETERMINISTIC

    @staticmethod
    def _new_aead(secret: bytes) -> AESSIV:
        return AESSIV(secret)

    def encrypt(self, plaintext: str) -> str:
        return self._encrypt_under(self._current_header, plaintext)

    def lookup_values(self, plaintext: str) -> list[str]:
        """The envelopes `plaintext` has under every configured key: what a lookup matches."""
        return [self._encrypt_under(head, plaintext) for head in self._table]

    def _encrypt_under(self, head: str, plaintext: str) -> str:
        aead, aad = self._table[head]
        sealed = aead.encrypt(_to_bytes(plaintext), [aad])
        return head + _encode_payload(sealed)

    def decrypt(self, text: str) -> str:
        entry = self._table.get(text[:HEADER_LENGTH])
        if entry is None:
            return self._decrypt_unusual(text)
        try:
            raw = _decode_payload(text[HEADER_LENGTH:])
            return entry[0].decrypt(raw, [entry[1]]).decode()
        except (InvalidTag, ValueError, IndexError):
            raise self._tampered() from None
