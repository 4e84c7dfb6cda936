"""Service tokens: generate one, recognise one by its shape, and hash one for storage.

A token is ``kvt_`` + 43 characters (base64url of 32 random bytes) + 6 characters (base64url of
the CRC32 of those 43), 53 characters in all::

    kvt_<43 characters of randomness><6 characters of checksum>

The prefix and checksum let secret scanners (and `find_secret`) recognise a token without a
database, and let the API refuse a mistyped or truncated one before any query. Only an
HMAC-SHA256 of the token is stored; docs/api.md says why that is enough and why it is keyed.
"""

from __future__ import annotations

import base64
import re
import secrets
import zlib

from django.conf import settings
from django.utils.crypto import salted_hmac

PREFIX = "kvt_"
SECRET_BYTES = 32  # 256 bits: no guessing, no precomputed tables
BODY_LENGTH = 43  # base64url of 32 bytes, unpadded
CHECKSUM_LENGTH = 6  # base64url of 4 CRC32 bytes, unpadded
TOKEN_LENGTH = len(PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH
# For scanners: a token anywhere in a text (not preceded by a word character).
TOKEN_PATTERN = re.compile(rf"(?<![0-9A-Za-z_-]){PREFIX}[0-9A-Za-z_-]{{{TOKEN_LENGTH - 4}}}")
_WHOLE_TOKEN = re.compile(rf"{PREFIX}[0-9A-Za-z_-]{{{TOKEN_LENGTH - 4}}}")
_HASH_SALT = "settings_app.api.ServiceToken.token_hash"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _checksum(body: str) -> str:
    return _b64(zlib.crc32(body.encode("ascii")).to_bytes(4, "big"))


def generate() -> str:
    """A fresh token. Show it once; store only `token_hash()` of it."""
    body = _b64(secrets.token_bytes(SECRET_BYTES))
    return f"{PREFIX}{body}{_checksum(body)}"


def is_well_formed(token: str) -> bool:
    """True for a string shaped like a token with a correct checksum (says nothing of validity)."""
    if len(token) != TOKEN_LENGTH or not _WHOLE_TOKEN.fullmatch(token):
        return False
    body = token[len(PREFIX) : len(PREFIX) + BODY_LENGTH]
    return token[-CHECKSUM_LENGTH:] == _checksum(body)


def token_hash(token: str, secret: str | bytes | None = None) -> str:
    """The stored form of `token`: HMAC-SHA256 under a key derived from `secret` (SECRET_KEY).

    Keyed so that someone who can write to the database but does not hold SECRET_KEY cannot
    mint a working token by inserting the hash of one they chose.
    """
    return salted_hmac(_HASH_SALT, token, secret=secret, algorithm="sha256").hexdigest()


def candidate_hashes(token: str) -> list[str]:
    """The token's hash under SECRET_KEY and each SECRET_KEY_FALLBACKS key, for one lookup.

    Tokens keep working while a rotated SECRET_KEY stays in the fallbacks.
    """
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [token_hash(token, key) for key in keys]
