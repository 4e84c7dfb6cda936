"""`keyvault run --fallback FILE`: the last good values, encrypted, for when the server is down.

The file is AES-256-GCM under a key derived (HKDF-SHA256, a fresh salt per save) from the
service token, so it opens only with the token that wrote it; its save time is authenticated
with it, so its age cannot be faked. It needs the `cryptography` package (the client's
`fallback` extra): the client itself stays standard-library only, and never hand-rolls a cipher.

    {"format": "keyvault-fallback-1", "saved_at": 1765100000, "salt": "...", "nonce": "...",
     "ciphertext": "..."}     (base64; the plaintext is the JSON of the variables, the
                                private files' contents and the values to mask)
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time

from .errors import ConfigurationError, Unavailable
from .injection import Injection

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "keyvault-fallback-1"
INFO = b"keyvault-client run --fallback v1"
MISSING = (
    "--fallback needs the cryptography package: pip install 'keyvault-client[fallback]' "
    "(or pip install cryptography)."
)


class FallbackFile:
    """Saves and loads what one `keyvault run` injects, under a key from `token`."""

    def __init__(self, path: str, token: str, max_age: float) -> None:
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: F401
        except ImportError:
            raise ConfigurationError(MISSING) from None
        self._path, self._token, self._max_age = path, token.encode(), max_age

    def __repr__(self) -> str:
        return f"<FallbackFile {self._path!r}>"  # never the token

    def save(self, injection: Injection) -> None:
        """Replace the file with `injection`, atomically, readable by its owner only."""
        salt, nonce, saved_at = os.urandom(16), os.urandom(12), int(time.time())
        saved = {
            "variables": injection.variables,
            "files": injection.files,
            "secrets": injection.secrets,
        }
        plaintext = json.dumps(saved).encode()
        ciphertext = self._cipher(salt).encrypt(nonce, plaintext, _header(saved_at, salt))
        document = {
            "format": FORMAT,
            "saved_at": saved_at,
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext),
        }
        _write_atomically(self._path, json.dumps(document))

    def load(self, error: Unavailable) -> Injection:
        """The saved injection, with a warning; `error` (extended) when there is none usable."""
        try:
            with open(self._path, encoding="utf-8") as file:
                document = json.load(file)
            saved_at = int(document["saved_at"])
            injection = self._open(document, saved_at)
        except FileNotFoundError:
            raise error from None
        except (OSError, ValueError, KeyError, TypeError):
            raise Unavailable(
                f"{error} The fallback file {self._path} cannot be opened with this "
                "token (another token wrote it, or it was altered)."
            ) from None
        age = time.time() - saved_at
        if age > self._max_age:
            raise Unavailable(
                f"{error} The fallback file {self._path} is {age / 3600:.1f} h old, "
                "older than --fallback-max-age."
            ) from None
        print(
            f"keyvault run: warning: {error} Using the values saved in {self._path} "
            f"{age / 60:.0f} min ago.",
            file=sys.stderr,
        )
        return injection

    def _open(self, document: dict[str, object], saved_at: int) -> Injection:
        from cryptography.exceptions import InvalidTag

        if document.get("format") != FORMAT:
            raise ValueError("not a keyvault fallback file")
        salt = base64.b64decode(str(document["salt"]))
        try:
            plaintext = self._cipher(salt).decrypt(
                base64.b64decode(str(document["nonce"])),
                base64.b64decode(str(document["ciphertext"])),
                _header(saved_at, salt),
            )
        except InvalidTag:
            raise ValueError("wrong token or altered file") from None
        return _injection(json.loads(plaintext))

    def _cipher(self, salt: bytes) -> AESGCM:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO).derive(self._token)
        return AESGCM(key)


def _injection(saved: object) -> Injection:
    """The injection a plaintext holds (ValueError if it is not one)."""
    if not isinstance(saved, dict):
        raise ValueError("not a mapping")
    injection = Injection()
    injection.variables = {str(k): str(v) for k, v in dict(saved["variables"]).items()}
    injection.files = {str(k): str(v) for k, v in dict(saved["files"]).items()}
    injection.secrets = [str(value) for value in list(saved["secrets"])]
    return injection


def _header(saved_at: int, salt: bytes) -> bytes:
    """The associated data: the format, the save time and the salt are authenticated too."""
    return f"{FORMAT}|{saved_at}|{_b64(salt)}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _write_atomically(path: str, text: str) -> None:
    temporary = f"{path}.{os.getpid()}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
