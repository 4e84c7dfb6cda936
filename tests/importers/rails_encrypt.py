"""The encrypting half of Active Record Encryption, for building test fixtures only.

Written from Rails' encryptor.rb, cipher.rb, cipher/aes256_gcm.rb, key.rb and
envelope_encryption_key_provider.rb, independently of the product's decryptor (it derives keys
with hashlib, not cryptography's PBKDF2HMAC), so a shared misreading would have to be made twice.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import zlib
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# activerecord/test/cases/encryption/encryptable_record_test.rb, "deterministic ciphertexts
# remain constant", under activerecord/test/support/encryption_config.rb's keys.
RAILS_VECTOR = '{"p":"DIohhw==","h":{"iv":"wEPaDcJP3VNIxaiz","at":"X7+2xvvcu1k1if6Dy28Esw=="}}'
LONG_KEY = "sk-proj-" + "A1b2C3d4E5" * 20  # 208 bytes: Rails compresses it

COMPRESSION_THRESHOLD = 140  # encryptor.rb THRESHOLD_TO_JUSTIFY_COMPRESSION


@functools.cache
def derive(password: str, salt: str, digest: str = "sha256") -> bytes:
    """ActiveSupport::KeyGenerator: PBKDF2-HMAC, 2**16 iterations, 32 bytes."""
    return hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), 2**16, 32)


def key_id(secret: bytes) -> str:
    return hashlib.sha1(secret, usedforsecurity=False).hexdigest()[:4]  # Key#id, not security


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def seal(secret: bytes, clear: bytes, *, deterministic: bool) -> dict[str, Any]:
    """Aes256Gcm#encrypt: a message with payload, iv and auth tag (all base64)."""
    # Deterministic mode: the IV is an HMAC of the plaintext (Aes256Gcm#generate_deterministic_iv).
    iv = hmac.new(secret, clear, hashlib.sha256).digest()[:12] if deterministic else os.urandom(12)
    sealed = AESGCM(secret).encrypt(iv, clear, b"")
    return {"p": _b64(sealed[:-16]), "h": {"iv": _b64(iv), "at": _b64(sealed[-16:])}}


def encrypt(
    plaintext: str,
    *,
    password: str,
    salt: str,
    digest: str = "sha256",
    deterministic: bool = False,
    key_reference: bool = False,
    envelope: bool = False,
    encoding: str | None = None,
    compress: bool = True,
) -> str:
    """What Rails stores for `plaintext` under the key derived from `password`."""
    clear = plaintext.encode(encoding or "utf-8")
    compressed = compress and len(clear) > COMPRESSION_THRESHOLD
    if compressed:
        clear = zlib.compress(clear)
    primary = derive(password, salt, digest)
    secret = os.urandom(32) if envelope else primary
    message = seal(secret, clear, deterministic=deterministic)
    headers = message["h"]
    if encoding:
        headers["e"] = _b64(encoding.encode())
    if envelope:
        headers["k"] = seal(primary, secret, deterministic=False)
    if key_reference:
        headers["i"] = _b64(key_id(primary).encode())
    if compressed:
        headers["c"] = True
    return json.dumps(message, separators=(",", ":"))


def tamper_tag(ciphertext: str) -> str:
    """The same message with one bit of its auth tag flipped."""
    message = json.loads(ciphertext)
    tag = bytearray(base64.b64decode(message["h"]["at"]))
    tag[0] ^= 1
    message["h"]["at"] = _b64(bytes(tag))
    return json.dumps(message, separators=(",", ":"))
