"""Known-answer vectors pin the format, and an independent reader proves they follow the spec.

The independent reader uses only `cryptography` and the format as documented in
settings_app/crypto (HKDF-SHA256 labels, key-id hash, AAD layout), spelled out here as literals.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.crypto.keysets import deterministic, make_keyset, randomized
from tests.support.keys import TEST_KEYS

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "vectors.json").read_text("utf-8"))


def key_bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hkdf(name: str, info: bytes, length: int) -> bytes:
    salt = key_bytes(VECTORS["keys"]["salt"])
    kdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info)
    return kdf.derive(key_bytes(VECTORS["keys"][name]))


def key_id(secret: bytes) -> str:
    return hashlib.sha256(b"keyvault/v1/key-id\x00" + secret).hexdigest()[:8]


def split(envelope: str) -> tuple[str, bytes, bytes]:
    """(header, payload, associated data) of an envelope, read by the documented layout."""
    header, payload = envelope[:16], base64.b64decode(envelope[16:], validate=True)
    aad = b"keyvault/v1\x00" + header.encode() + b"\x00" + VECTORS["context"].encode()
    return header, payload, aad


def test_vector_keys_are_the_test_keys() -> None:
    assert {name: TEST_KEYS[name] for name in VECTORS["keys"]} == VECTORS["keys"]


@pytest.mark.parametrize("purpose", ["randomized", "deterministic"])
def test_key_ids_match_the_vectors(purpose: str) -> None:
    assert getattr(make_keyset(), purpose)[0].key_id == VECTORS[purpose]["key_id"]


def test_randomized_envelope_with_a_pinned_nonce_matches_the_vector() -> None:
    nonce = bytes.fromhex(VECTORS["randomized"]["nonce_hex"])
    cipher = randomized(context=VECTORS["context"])
    assert (
        cipher._encrypt_with_nonce(VECTORS["plaintext"], nonce) == VECTORS["randomized"]["envelope"]
    )


def test_deterministic_envelope_matches_the_vector() -> None:
    cipher = deterministic(context=VECTORS["context"])
    assert cipher.encrypt(VECTORS["plaintext"]) == VECTORS["deterministic"]["envelope"]


@pytest.mark.parametrize("mode", ["randomized", "deterministic"])
def test_vectors_decrypt_with_the_project_ciphers(mode: str) -> None:
    cipher = (randomized if mode == "randomized" else deterministic)(context=VECTORS["context"])
    assert cipher.decrypt(VECTORS[mode]["envelope"]) == VECTORS["plaintext"]


def test_randomized_vector_opens_with_an_independent_aes_gcm() -> None:
    secret = hkdf("primary", b"keyvault/v1/randomized/aes-256-gcm", 32)
    header, payload, aad = split(VECTORS["randomized"]["envelope"])
    assert header == f"$kv1$r${key_id(secret)}$"
    assert payload[:12].hex() == VECTORS["randomized"]["nonce_hex"]
    assert AESGCM(secret).decrypt(payload[:12], payload[12:], aad).decode() == VECTORS["plaintext"]


def test_deterministic_vector_opens_with_an_independent_aes_siv() -> None:
    secret = hkdf("deterministic", b"keyvault/v1/deterministic/aes-256-siv", 64)
    header, payload, aad = split(VECTORS["deterministic"]["envelope"])
    assert header == f"$kv1$d${key_id(secret)}$"
    assert AESSIV(secret).decrypt(payload, [aad]).decode() == VECTORS["plaintext"]
