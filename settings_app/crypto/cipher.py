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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV

from . import envelope
from .envelope import HEADER_LENGTH, NONCE_BYTES
from .errors import DecryptionError, DecryptionReason
from .keyset import DerivedKey

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
FailureHandler = Callable[[DecryptionError], Any]  # what a row that does not decrypt reads as

ValueState = Literal["current", "fallback", "plaintext", "unknown-key", "damaged"]
Opener = Callable[[bytes], bytes]  # a payload's bytes to the plaintext's; InvalidTag if forged
_Aead = TypeVar("_Aead", AESGCM, AESSIV)

# The state `classify` reports for each reason a value is refused; any other one is "damaged".
_STATES: Mapping[DecryptionReason, ValueState] = {
    DecryptionReason.NOT_ENCRYPTED: "plaintext",
    DecryptionReason.UNKNOWN_KEY: "unknown-key",
    DecryptionReason.WRONG_MODE: "unknown-key",  # under the other mode's key: not this field's
}


def _to_bytes(plaintext: str) -> bytes:
    try:
        return plaintext.encode("utf-8")
    except UnicodeEncodeError:
        # The codec's message would quote the offending character: say where, not what.
        raise ValueError("The value is not valid Unicode text (it contains a surrogate).") from None


class FieldCipher(Generic[_Aead]):
    """The shared decrypt path and diagnostics; subclasses build and call their AEAD.

    `advice` is what the caller wants said about each reason a value is refused (e.g. which
    setting to change); it ends the message of every DecryptionError this cipher raises.
    """

    mode: ClassVar[str]

    def __init__(
        self,
        keys: Sequence[DerivedKey],
        context: str,
        *,
        allow_plaintext: bool = False,
        advice: Mapping[DecryptionReason, str] | None = None,
    ) -> None:
        if not keys:
            raise ValueError("A field cipher needs at least one key.")
        self.context = context
        self.allow_plaintext = allow_plaintext
        self.key_ids = tuple(key.key_id for key in keys)
        self.current_key_id = self.key_ids[0]
        self._advice = dict(advice or {})
        self._aeads: dict[str, tuple[_Aead, bytes]] = {}  # header -> (AEAD, associated data)
        self._openers: dict[str, Opener] = {}
        for key in keys:
            head = envelope.header(self.mode, key.key_id)
            aead, aad = self._new_aead(key.secret), envelope.associated_data(head, context)
            self._aeads[head] = (aead, aad)
            self._openers[head] = self._opener(aead, aad)
        self._current_header = envelope.header(self.mode, self.current_key_id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.context} keys={list(self.key_ids)}>"

    @staticmethod
    def _new_aead(secret: bytes) -> _Aead:
        raise NotImplementedError

    @staticmethod
    def _opener(aead: _Aead, aad: bytes) -> Opener:
        """A function that opens this key's payloads: bound once here, not looked up per read."""
        raise NotImplementedError

    def encrypt(self, plaintext: str) -> str:
        """The envelope of `plaintext` under the current key."""
        raise NotImplementedError

    def decrypt(self, text: str) -> str:
        """The plaintext of an envelope; DecryptionError for anything that does not verify."""
        open_payload = self._openers.get(text[:HEADER_LENGTH])
        if open_payload is None:
            return self._decrypt_unusual(text)
        try:
            return open_payload(_decode_payload(text[HEADER_LENGTH:])).decode()
        except (InvalidTag, ValueError, IndexError):
            raise self._failed_authentication(text) from None

    def column_reader(self, on_failure: FailureHandler | None = None) -> ColumnReader:
        """`decrypt` for a per-row loop: `read(value, _, _)`, where None stays None.

        The two ignored arguments give it the shape of a database converter (fields.py). With
        `on_failure`, a value that does not decrypt reads as `on_failure(error)` instead of
        raising, so one bad row stays that row's problem.
        """
        decrypt = self._slow_reader(on_failure)

        def read(value: Any, _expression: Any, _connection: Any) -> Any:
            return None if value is None else decrypt(value)

        return read

    def _slow_reader(self, on_failure: FailureHandler | None) -> Callable[[str], Any]:
        """`decrypt`, or `decrypt` that hands its DecryptionError to `on_failure`."""
        decrypt = self.decrypt
        if on_failure is None:
            return decrypt

        def read_or_mark(text: str) -> Any:
            try:
                return decrypt(text)
            except DecryptionError as error:
                return on_failure(error)

        return read_or_mark

    def is_current(self, text: str) -> bool:
        """True if `text` is an envelope of this field under the current key (no decryption)."""
        return text.startswith(self._current_header)

    def key_id_of(self, text: str) -> str | None:
        """The key id named in an envelope's header, or None for anything else."""
        head = envelope.parse_header(text)
        return (head.key_id or None) if head is not None else None

    def classify(self, text: str) -> ValueState:
        """Where a stored value stands, verified: what re-encryption and status reports count."""
        try:
            if text[:HEADER_LENGTH] not in self._openers:
                raise self._refusal(text)  # legacy plaintext too, whatever allow_plaintext says
            self.decrypt(text)
        except DecryptionError as error:
            return _STATES.get(error.reason, "damaged")
        return "current" if self.is_current(text) else "fallback"

    def _decrypt_unusual(self, text: str) -> str:
        """Everything that is not an envelope under a configured key: the slow path."""
        if self.allow_plaintext and not envelope.looks_like_envelope(text):
            return text  # legacy plaintext, encrypted on its next save
        raise self._refusal(text)

    def _refusal(self, text: str) -> DecryptionError:
        """Why `text`, whose header is none of this field's, cannot be decrypted."""
        if not envelope.looks_like_envelope(text):
            return self._error(
                DecryptionReason.NOT_ENCRYPTED, "holds a value that is not encrypted."
            )
        head = envelope.parse_header(text)
        if head is None:
            return self._error(
                DecryptionReason.DAMAGED_HEADER,
                "holds a damaged ciphertext (its header is unreadable).",
            )
        if head.version != envelope.VERSION:
            return self._error(
                DecryptionReason.UNSUPPORTED_VERSION,
                f"holds a ciphertext of format version {head.version!r}; only version "
                f"{envelope.VERSION!r} can be read.",
            )
        if head.mode != self.mode:
            return self._error(
                DecryptionReason.WRONG_MODE,
                f"holds a ciphertext of mode {head.mode!r} (key id {head.key_id}) where mode "
                f"{self.mode!r} is expected.",
                head.key_id,
            )
        return self._error(
            DecryptionReason.UNKNOWN_KEY,
            f"holds a ciphertext under key id {head.key_id}, which is not configured.",
            head.key_id,
        )

    def _failed_authentication(self, text: str) -> DecryptionError:
        key_id = self.key_id_of(text)  # the header is one of this field's: it names a key
        return self._error(
            DecryptionReason.FAILED_AUTHENTICATION,
            f"holds a ciphertext under key id {key_id} that failed authentication: it was "
            "altered, copied from another field, or written under a different key.",
            key_id,
        )

    def _error(
        self, reason: DecryptionReason, problem: str, key_id: str | None = None
    ) -> DecryptionError:
        return DecryptionError(
            f"{self.context} {problem}",
            reason=reason,
            context=self.context,
            key_id=key_id,
            advice=self._advice.get(reason, ""),
        )


class RandomizedCipher(FieldCipher[AESGCM]):
    """AES-256-GCM with a fresh random nonce per value; the current key encrypts."""

    mode = envelope.RANDOMIZED

    @staticmethod
    def _new_aead(secret: bytes) -> AESGCM:
        return AESGCM(secret)

    @staticmethod
    def _opener(aead: AESGCM, aad: bytes) -> Opener:
        decrypt = aead.decrypt

        def open_payload(raw: bytes) -> bytes:
            return decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)

        return open_payload

    def encrypt(self, plaintext: str) -> str:
        return self._encrypt_with_nonce(plaintext, os.urandom(NONCE_BYTES))

    def _encrypt_with_nonce(self, plaintext: str, nonce: bytes) -> str:
        # Private: tests pin the nonce for known-answer vectors. Callers never choose nonces.
        aead, aad = self._aeads[self._current_header]
        sealed = aead.encrypt(nonce, _to_bytes(plaintext), aad)
        return self._current_header + _encode_payload(nonce + sealed)

    def column_reader(self, on_failure: FailureHandler | None = None) -> ColumnReader:
        """One Python call per row for values under the current key, the ORM's hot path.

        Three calls per row (converter, decrypt, decode_payload) cost ORM reads 3-6% against bare
        AES-GCM (benchmarks/orm.py). Anything else goes to `decrypt` (and `on_failure`).
        """
        aead, aad = self._aeads[self._current_header]
        slow = self._slow_reader(on_failure)

        def read(  # the defaults bind what every row needs as fast locals
            value: Any,
            _expression: Any,
            _connection: Any,
            head: str = self._current_header,
            a2b: Callable[..., bytes] = _a2b,
            padded: frozenset[str] = _CANONICAL_PADDED,
            open_sealed: Callable[[bytes, bytes, bytes], bytes] = aead.decrypt,
            aad: bytes = aad,
            decrypt: Callable[[str], Any] = slow,
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


class DeterministicCipher(FieldCipher[AESSIV]):
    """AES-256-SIV: equal plaintexts in one field give equal envelopes under one key."""

    mode = envelope.DETERMINISTIC

    @staticmethod
    def _new_aead(secret: bytes) -> AESSIV:
        return AESSIV(secret)

    @staticmethod
    def _opener(aead: AESSIV, aad: bytes) -> Opener:
        decrypt, associated = aead.decrypt, [aad]

        def open_payload(raw: bytes) -> bytes:
            return decrypt(raw, associated)  # the synthetic IV leads the payload

        return open_payload

    def encrypt(self, plaintext: str) -> str:
        return self._encrypt_under(self._current_header, plaintext)

    def lookup_values(self, plaintext: str) -> list[str]:
        """The envelopes `plaintext` has under every configured key: what a lookup matches."""
        return [self._encrypt_under(head, plaintext) for head in self._aeads]

    def _encrypt_under(self, head: str, plaintext: str) -> str:
        aead, aad = self._aeads[head]
        sealed = aead.encrypt(_to_bytes(plaintext), [aad])
        return head + _encode_payload(sealed)
