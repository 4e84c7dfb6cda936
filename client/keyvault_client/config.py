"""Where the client finds its server and token: arguments first, then KEYVAULT_* variables.

KEYVAULT_URL            the site root, e.g. https://keyvault.example.com
KEYVAULT_TOKEN          a service token, kvt_...
KEYVAULT_TOKEN_FILE     or a file holding it (container secrets)
KEYVAULT_CACHE_SECONDS  how long a value is used before it is revalidated (default 60)
KEYVAULT_CA_FILE        a PEM file of the CA that signed the server's certificate (a private
                        CA); unset, the system store is trusted (SSL_CERT_FILE works too)
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from urllib.parse import urlsplit

from .errors import ConfigurationError

TOKEN_PREFIX = "kvt_"  # noqa: S105  (a public prefix, not a secret)
_TOKEN_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-")
TOKEN_LENGTH = 53  # kvt_, 43 characters of randomness, a 6-character CRC32 of those 43
_BODY_END = TOKEN_LENGTH - 6
_API_PATHS = ("/api", "/api/v1")
# A bearer token may cross plain HTTP only to this machine.
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
DEFAULT_CACHE_SECONDS = 60.0


class Config:
    """A validated server root and token; the token never appears in repr()."""

    __slots__ = ("token", "url")

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def __repr__(self) -> str:
        return f"Config(url={self.url!r})"

    @property
    def origin(self) -> str:
        """scheme://host[:port], for messages (never a path, query or user info)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}"


def load(
    url: str | None = None, token: str | None = None, environ: Mapping[str, str] | None = None
) -> Config:
    """The configuration from the arguments, else the environment; ConfigurationError if bad."""
    environ = os.environ if environ is None else environ
    return Config(
        url=_site_root(url or environ.get("KEYVAULT_URL", "")), token=_token(token, environ)
    )


def cache_seconds(value: float | None, environ: Mapping[str, str] | None = None) -> float:
    """The cache TTL: the argument, else KEYVAULT_CACHE_SECONDS, else 60."""
    if value is not None:
        return non_negative(value, "cache_seconds")
    raw = (os.environ if environ is None else environ).get("KEYVAULT_CACHE_SECONDS", "")
    if not raw.strip():
        return DEFAULT_CACHE_SECONDS
    try:
        return non_negative(float(raw), "KEYVAULT_CACHE_SECONDS")
    except ValueError:
        raise ConfigurationError(
            f"KEYVAULT_CACHE_SECONDS is {raw!r}: give a number of seconds, e.g. 60 (0 revalidates "
            "on every call)."
        ) from None


def non_negative(value: float, name: str) -> float:
    """`value` as a float if it is 0 or more; ConfigurationError naming `name` if not."""
    if not value >= 0:  # also refuses NaN
        raise ConfigurationError(f"{name} must be 0 or more seconds, not {value!r}.")
    return float(value)


def _site_root(url: str) -> str:
    url = url.strip()
    if not url:
        raise ConfigurationError(
            "KEYVAULT_URL is not set: set it to the keyvault site root, e.g. "
            "https://keyvault.example.com."
        )
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (urlsplit checks the port only when asked)
    except ValueError:
        raise ConfigurationError(
            f"KEYVAULT_URL {url!r} has no valid port (1 to 65535): give the site root, e.g. "
            "https://keyvault.example.com or http://127.0.0.1:8000."
        ) from None
    if parts.path.rstrip("/").endswith(_API_PATHS):
        raise ConfigurationError(
            "KEYVAULT_URL must be the site root, e.g. https://keyvault.example.com, without "
            f"{parts.path.rstrip('/')!r}: the client adds the API's path itself."
        )
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            "KEYVAULT_URL must be an https:// address such as https://keyvault.example.com."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigurationError(
            "KEYVAULT_URL must not carry a user, password, query or fragment: give the site root."
        )
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"KEYVAULT_URL uses plain http for {parts.hostname}: use https:// so the token is "
            "never sent in clear text (plain http is accepted only for 127.0.0.1 and localhost)."
        )
    return url.rstrip("/")


def _token(token: str | None, environ: Mapping[str, str]) -> str:
    if token is None:
        token = _token_from_environment(environ)
    token = token.strip()
    if not _well_formed(token):
        # Never echo what was given: it may be a real secret pasted into the wrong variable.
        raise ConfigurationError(
            "The keyvault token is malformed: a service token starts with 'kvt_' followed by "
            "letters, digits, '_' and '-'. Create one with `manage.py create_service_token`."
        )
    if len(token) != TOKEN_LENGTH or token[_BODY_END:] != _checksum(token[4:_BODY_END]):
        raise ConfigurationError(
            f"The keyvault token is incomplete: copy it again (a service token has "
            f"{TOKEN_LENGTH} characters, the last 6 a checksum of the others)."
        )
    return token


def _well_formed(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and set(token) <= _TOKEN_CHARACTERS


def _checksum(body: str) -> str:
    """The token's last 6 characters: base64url of the CRC32 of its random part."""
    import binascii  # its crc32 is zlib's, without loading zlib

    crc = binascii.crc32(body.encode("ascii")).to_bytes(4, "big")
    encoded = binascii.b2a_base64(crc, newline=False).decode("ascii").rstrip("=")
    return encoded.replace("+", "-").replace("/", "_")


def _token_from_environment(environ: Mapping[str, str]) -> str:
    direct, path = environ.get("KEYVAULT_TOKEN", ""), environ.get("KEYVAULT_TOKEN_FILE", "")
    if direct and path:
        raise ConfigurationError(
            "Both KEYVAULT_TOKEN and KEYVAULT_TOKEN_FILE are set: set only one of them."
        )
    if path:
        try:
            with open(path, encoding="utf-8") as file:
                return file.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            raise ConfigurationError(
                f"KEYVAULT_TOKEN_FILE names {path!r}, which cannot be read ({reason})."
            ) from None
    if not direct:
        raise ConfigurationError(
            "No keyvault token: set KEYVAULT_TOKEN (or KEYVAULT_TOKEN_FILE, a file holding it) "
            "to a service token, kvt_..."
        )
    return direct
