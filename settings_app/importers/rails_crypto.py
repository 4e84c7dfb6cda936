"""Decrypt Active Record Encryption values exactly as Rails does (it only decrypts, never encrypts).

Rails (activerecord/lib/active_record/encryption/) stores a value as JSON, message_serializer.rb::

    {"p": "<payload>",
     "h": {"iv": "<12 bytes>", "at": "<16-byte tag>",
           "c": true, "e": "<encoding>", "i": "<key id>", "k": {"p": ..., "h": ...}}}

- Header strings and the payload are strict base64; booleans ("c") are not encoded.
- AES-256-GCM with empty associated data (cipher/aes256_gcm.rb); payload then tag.
- Keys are PBKDF2-HMAC(password, key_derivation_salt, 2**16 iterations, 32 bytes)
  (key_generator.rb): SHA-256 by default since Rails 7.1, SHA-1 before.
- "c": the plaintext was zlib-deflated first (encryptor.rb: values over 140 bytes).
- "e": the plaintext's encoding when it is not UTF-8 (cipher.rb).
- "i": the id of the key that encrypted it, the first 4 hex digits of SHA-1 of the derived key
  (key.rb), written when `store_key_references` is on.
- "k": envelope encryption (envelope_encryption_key_provider.rb): a random data key encrypted
  with a primary key ("i" then names that primary key); the payload is under the data key.

Published vector (activerecord/test/cases/encryption/encryptable_record_test.rb, deterministic
key "test deterministic key", salt "testing key derivation salt", SHA-1)::

    >>> keys = derive_keys(RailsKeySet((), "test deterministic key", "testing key derivation salt"))
    >>> RailsDecryptor(keys).decrypt(
    ...     '{"p":"DIohhw==","h":{"iv":"wEPaDcJP3VNIxaiz","at":"X7+2xvvcu1k1if6Dy28Esw=="}}'
    ... ).text
    'Dune'
"""

from __future__ import annotations

import binascii
import codecs
import hashlib
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from .errors import RailsDecryptionError

ITERATIONS = 2**16
KEY_LENGTH = 32
IV_LENGTH = 12
TAG_LENGTH = 16
KEY_ID_LENGTH = 4
MAX_PLAINTEXT_BYTES = 64 * 1024  # inflating stops here: no key is that long, a zip bomb is
DIGESTS: tuple[tuple[str, type[hashes.HashAlgorithm]], ...] = (
    ("SHA-256", hashes.SHA256),  # config.load_defaults 7.1 and later
    ("SHA-1", hashes.SHA1),  # earlier apps, and support_sha1_for_non_deterministic_encryption
)
_BINARY_ENCODINGS = frozenset({"ASCII-8BIT", "BINARY"})  # Ruby's names for raw bytes


@dataclass(frozen=True, repr=False)
class RailsKeySet:
    """The three values `bin/rails db:encryption:init` prints; primary keys oldest first."""

    primary_keys: tuple[str, ...]
    deterministic_key: str | None
    key_derivation_salt: str

    def __repr__(self) -> str:
        return f"<RailsKeySet primary_keys={len(self.primary_keys)}>"


@dataclass(frozen=True, repr=False)
class DerivedKey:
    """A 32-byte AES key and a label saying where it came from, e.g. "primary key 2, SHA-1"."""

    secret: bytes
    label: str

    @property
    def key_id(self) -> str:
        """Rails' Key#id: `Digest::SHA1.hexdigest(secret).first(4)`, stored in header "i"."""
        # Not a security use of SHA-1: it only reproduces the id Rails computes.
        return hashlib.sha1(self.secret, usedforsecurity=False).hexdigest()[:KEY_ID_LENGTH]

    def __repr__(self) -> str:
        return f"<DerivedKey {self.label}>"


@dataclass(frozen=True)
class Message:
    """A parsed Rails message: the raw payload and its decoded headers."""

    payload: bytes = field(repr=False)
    headers: dict[str, Any]


@dataclass(frozen=True)
class Decrypted:
    """A decrypted value and the key that opened it (for reports: never key material)."""

    text: str = field(repr=False)
    key_label: str


def derive_key(password: str, salt: str, digest: type[hashes.HashAlgorithm]) -> bytes:
    """ActiveSupport::KeyGenerator#generate_key as Active Record Encryption calls it."""
    kdf = PBKDF2HMAC(
        algorithm=digest(), length=KEY_LENGTH, salt=salt.encode(), iterations=ITERATIONS
    )
    return kdf.derive(password.encode())


def derive_keys(key_set: RailsKeySet) -> list[DerivedKey]:
    """Every key the set can stand for: each primary key and the deterministic key, per digest.

    Newest primary key first, as Rails encrypts with the last one listed.
    """
    passwords = [
        (f"primary key {number}", password)
        for number, password in reversed(list(enumerate(key_set.primary_keys, start=1)))
    ]
    if key_set.deterministic_key:
        passwords.append(("deterministic key", key_set.deterministic_key))
    return [
        DerivedKey(derive_key(password, key_set.key_derivation_salt, digest), f"{name}, {label}")
        for name, password in passwords
        for label, digest in DIGESTS
    ]


# --- parsing ---------------------------------------------------------------------------------


def looks_encrypted(text: str) -> bool:
    """Whether `text` is shaped like a Rails message (a JSON object with a payload "p").

    Anything else is a legacy unencrypted value, as Rails' `Encryptor#encrypted?` decides.
    """
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and "p" in data


def parse_message(text: str) -> Message:
    """The message in `text`, headers base64-decoded; RailsDecryptionError if malformed."""
    try:
        data = json.loads(text)
    except ValueError:
        raise RailsDecryptionError("it is not JSON, so not an encrypted Rails value") from None
    return _message_from(data, level=1)


def _message_from(data: Any, level: int) -> Message:
    if level > 2:
        raise RailsDecryptionError("its headers nest messages more than one level deep")
    if not isinstance(data, dict) or "p" not in data:
        raise RailsDecryptionError('it is JSON without a payload ("p")')
    raw_headers = {} if data.get("h") is None else data["h"]
    if not isinstance(raw_headers, dict):
        raise RailsDecryptionError('its headers ("h") are not a JSON object')
    headers = {
        name: _message_from(value, level + 1) if isinstance(value, dict) else _decoded(value)
        for name, value in raw_headers.items()
    }
    payload = _decoded(data["p"])
    if not isinstance(payload, bytes):
        raise RailsDecryptionError('its payload ("p") is not a base64 string')
    return Message(payload, headers)


def _decoded(value: Any) -> Any:
    """Strings are strict base64 (Ruby's strict_decode64); other JSON values stay as they are."""
    if not isinstance(value, str):
        return value
    try:
        raw = binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise RailsDecryptionError("a field is not strict base64") from None
    if binascii.b2a_base64(raw, newline=False).decode("ascii") != value:
        raise RailsDecryptionError("a field is not canonical base64")  # strict_decode64 agrees
    return raw


# --- decrypting ------------------------------------------------------------------------------


class RailsDecryptor:
    """Decrypts values written by a Rails app whose key sets derived `keys`."""

    def __init__(self, keys: Sequence[DerivedKey]) -> None:
        if not keys:
            raise ValueError("RailsDecryptor needs at least one derived key.")
        self._keys = tuple(keys)

    @classmethod
    def from_key_sets(cls, key_sets: Iterable[RailsKeySet]) -> RailsDecryptor:
        return cls([key for key_set in key_sets for key in derive_keys(key_set)])

    def __repr__(self) -> str:
        return f"<RailsDecryptor keys={len(self._keys)}>"

    def decrypt(self, text: str) -> Decrypted:
        """The plaintext of `text`; RailsDecryptionError saying why when it cannot be had."""
        message = parse_message(text)
        keys = self._keys_for(message)
        envelope = message.headers.get("k")
        if envelope is not None:
            if not isinstance(envelope, Message):
                raise RailsDecryptionError('its data key ("k") is not an encrypted message')
            data_key, label = _open(envelope, keys)
            keys = (DerivedKey(data_key, f"data key under {label}"),)
        plaintext, label = _open(message, keys)
        if message.headers.get("c") not in (None, False):  # Rails: `if headers.compressed`
            plaintext = _inflate(plaintext)
        return Decrypted(_decode(plaintext, message.headers.get("e")), label)

    def _keys_for(self, message: Message) -> tuple[DerivedKey, ...]:
        """KeyProvider#decryption_keys: the keys with the id in "i", or every key."""
        reference = message.headers.get("i")
        if reference is None:
            return self._keys
        key_id = reference.decode("ascii", "replace") if isinstance(reference, bytes) else ""
        matching = tuple(key for key in self._keys if key.key_id == key_id)
        if not matching:
            raise RailsDecryptionError(
                f"it was encrypted with the key whose id is {key_id!r}, which none of the given "
                "keys has: check the keys file (primary keys, salt)"
            )
        return matching


def _open(message: Message, keys: Sequence[DerivedKey]) -> tuple[bytes, str]:
    """AES-256-GCM decryption with each key in turn (Cipher#try_to_decrypt_with_each)."""
    iv, tag = message.headers.get("iv"), message.headers.get("at")
    if not isinstance(iv, bytes) or len(iv) != IV_LENGTH:
        raise RailsDecryptionError(f"its iv is missing or not {IV_LENGTH} bytes")
    # Rails refuses short tags too (OpenSSL would accept a truncated, forgeable one).
    if not isinstance(tag, bytes) or len(tag) != TAG_LENGTH:
        raise RailsDecryptionError(f"its auth tag is missing or not {TAG_LENGTH} bytes")
    for key in keys:
        try:
            return AESGCM(key.secret).decrypt(iv, message.payload + tag, b""), key.label
        except InvalidTag:
            continue
    raise RailsDecryptionError(
        "authentication failed under every given key: wrong keys, or the value was tampered with"
    )


def _inflate(data: bytes) -> bytes:
    """Zlib.inflate, refusing anything that inflates past MAX_PLAINTEXT_BYTES."""
    inflater = zlib.decompressobj()
    try:
        plaintext = inflater.decompress(data, MAX_PLAINTEXT_BYTES)
    except zlib.error:
        raise RailsDecryptionError("its compressed payload is corrupt") from None
    if inflater.unconsumed_tail or not inflater.eof:
        raise RailsDecryptionError(
            f"its compressed payload is truncated or inflates past {MAX_PLAINTEXT_BYTES} bytes"
        )
    return plaintext


def _decode(plaintext: bytes, encoding: Any) -> str:
    """The text, in the encoding header "e" names (UTF-8 when absent), as Ruby would read it."""
    if encoding is None:
        name = "UTF-8"
    elif isinstance(encoding, bytes):
        name = encoding.decode("ascii", "replace")
    else:
        raise RailsDecryptionError('its encoding header ("e") is not a string')
    if name.upper() in _BINARY_ENCODINGS:
        name = "ascii"  # raw bytes: only a plain-ASCII key can be a usable text key
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise RailsDecryptionError(f"it is in the encoding {name!r}, unknown to Python") from None
    # Python also knows codecs that are no text encodings (rot13, base64): refused alike.
    if not getattr(codec, "_is_text_encoding", True):
        raise RailsDecryptionError(f"its encoding header names {name!r}, not a text encoding")
    try:
        return plaintext.decode(codec.name)
    except (UnicodeError, LookupError):  # "undefined" raises UnicodeError on every input
        raise RailsDecryptionError(f"its plaintext is not valid {name}") from None
