"""Blind index: a keyed fingerprint of a value, so equal values can be found without decrypting.

`find_secret` answers "which settings hold this leaked key?" by computing the candidate's
fingerprint under every deterministic key and matching an indexed column: no row is
decrypted. HMAC-SHA256 truncated to 128 bits, keyed by a key HKDF derives for this purpose
alone, over the field's context and the value, stored as `<key id>:<hex>`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from .envelope import KEY_ID_LENGTH
from .keyset import DerivedKey

DIGEST_HEX_CHARS = 32
LENGTH = KEY_ID_LENGTH + 1 + DIGEST_HEX_CHARS  # key id, ":", digest


class BlindIndex:
    """Fingerprints for the values of one field; the current key writes, all keys match."""

    def __init__(self, keys: Sequence[DerivedKey], context: str) -> None:
        self.context = context
        self._keys = tuple(keys)
        self._prefix = context.encode("utf-8") + b"\x00"
        self.current_key_id = self._keys[0].key_id

    def __repr__(self) -> str:
        return f"<BlindIndex {self.context} keys={[k.key_id for k in self._keys]}>"

    def digest(self, plaintext: str) -> str:
        """The fingerprint of `plaintext` under the current key."""
        return self._digest_under(self._keys[0], plaintext)

    def candidates(self, plaintext: str) -> list[str]:
        """Its fingerprints under every configured key: what a search matches."""
        return [self._digest_under(key, plaintext) for key in self._keys]

    def is_current(self, fingerprint: str | None, plaintext: str) -> bool:
        return fingerprint is not None and hmac.compare_digest(fingerprint, self.digest(plaintext))

    def _digest_under(self, key: DerivedKey, plaintext: str) -> str:
        mac = hmac.new(key.secret, self._prefix + plaintext.encode("utf-8"), hashlib.sha256)
        return f"{key.key_id}:{mac.hexdigest()[:DIGEST_HEX_CHARS]}"
