"""The read API's contract in one place: request paths and headers, and what each answer means.

GET /api/v1/settings/<key>         200 {"key", "value", "version", "provider", "updated_at"}
                                   (a structured credential: "value": null, and "fields",
                                   "env", "files", "secret_fields")
                                   with ETag "<version>"; 304 for a matching If-None-Match
GET /api/v1/settings/?keys=a,b     200 {"settings": [...]}, only what the token may read
401 bad token  403 network not allowed  404 no such key  429 rate limited (Retry-After)
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from .credentials import Credential, parse_credential
from .errors import (
    Forbidden,
    KeyvaultError,
    NotFound,
    ProtocolError,
    RateLimited,
    Unauthorized,
    Unavailable,
)

SETTINGS_PATH = "/api/v1/settings/"
USER_AGENT = "keyvault-client/1"
KEY_MAX_LENGTH = 128
_KEY_CHARACTERS = frozenset(string.ascii_letters + string.digits + "_-.")


TYPE_CHECKING = False  # typing and dataclasses cost the CLI's start-up more than it can spare
if TYPE_CHECKING:
    from typing import Any


class Response:
    """What a transport hands back: status, headers (lower-cased names) and body."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def __repr__(self) -> str:
        return f"<Response {self.status}>"


class RemoteSetting:
    """One setting as the API returned it: a value or a Credential; `etag` revalidates it."""

    __slots__ = ("etag", "key", "value")

    def __init__(self, key: str, value: str | Credential, etag: str) -> None:
        self.key, self.value, self.etag = key, value, etag

    def __repr__(self) -> str:
        return f"<RemoteSetting {self.key!r} {self.etag}>"  # never the value


def check_key(key: str) -> str:
    """`key` if it is a possible setting key; ValueError naming the problem otherwise."""
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_MAX_LENGTH:
        raise ValueError(f"A setting key is a string of 1 to {KEY_MAX_LENGTH} characters.")
    if not set(key) <= _KEY_CHARACTERS:
        raise ValueError(
            f"{key!r} is not a setting key: use only ASCII letters, digits, '_', '-' and '.'."
        )
    return key


def setting_path(key: str) -> str:
    return SETTINGS_PATH + quote(check_key(key), safe="")


def bulk_path(keys: Iterable[str] | None) -> str:
    """The list endpoint for `keys`, or for every setting in scope when `keys` is None."""
    if keys is None:
        return SETTINGS_PATH
    return f"{SETTINGS_PATH}?keys={','.join(check_key(key) for key in keys)}"


def request_headers(token: str, etag: str | None = None) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    if etag:
        headers["If-None-Match"] = etag
    return headers


def etag_for(version: object) -> str:
    """The ETag the server gives a setting: its version, quoted."""
    return f'"{version}"'


def parse_one(response: Response) -> RemoteSetting:
    """The setting in a 200 answer to GET /settings/<key>."""
    setting = _setting(_json(response))
    return RemoteSetting(setting.key, setting.value, response.headers.get("etag") or setting.etag)


def parse_many(response: Response) -> list[RemoteSetting]:
    """The settings in a 200 answer to GET /settings/?keys=..."""
    document = _json(response)
    items = document.get("settings") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ProtocolError("keyvault answered without a settings list: is KEYVAULT_URL right?")
    return [_setting(item) for item in items]


def raise_for_status(response: Response, keys: list[str], origin: str) -> None:
    """Raise the error an unsuccessful answer means; return quietly on 200 and 304."""
    status = response.status
    if status in (200, 304):
        return
    if status == 401:
        raise Unauthorized(
            f"{origin} refused the keyvault token (missing, unknown, expired or revoked): "
            "check KEYVAULT_TOKEN or ask a key admin for a new one."
        )
    if status == 403:
        raise Forbidden(f"{origin} does not accept this token from this machine's network.")
    if status == 404:
        if "json" not in response.headers.get("content-type", ""):
            raise ProtocolError(
                f"{origin} answered 404 with a page, not the API's JSON: KEYVAULT_URL must be "
                "the site root, e.g. https://keyvault.example.com."
            )
        raise NotFound(keys)
    if status == 429:
        retry_after = _retry_after(response.headers.get("retry-after", ""))
        wait = f" for {retry_after} s" if retry_after is not None else ""
        raise RateLimited(
            f"{origin} is rate-limiting this token: wait{wait} and retry.", retry_after
        )
    if status >= 500:
        raise Unavailable(f"{origin} failed with HTTP {status}: try again later.")
    raise _unexpected(response, origin)


def _unexpected(response: Response, origin: str) -> KeyvaultError:
    if 300 <= response.status < 400:
        return ProtocolError(
            f"{origin} redirected the request (HTTP {response.status}): set KEYVAULT_URL to "
            "the site's final https:// address."
        )
    return ProtocolError(f"{origin} answered HTTP {response.status}, which the API never sends.")


def _retry_after(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except ValueError:
        raise ProtocolError("keyvault answered with something that is not JSON.") from None


def _setting(item: Any) -> RemoteSetting:
    if not isinstance(item, dict):
        raise ProtocolError("keyvault answered with a setting that is not a JSON object.")
    if item.get("error") == "undecryptable":
        raise Unavailable(
            f"keyvault cannot decrypt {item.get('key')} ({item.get('reason')}): its stored value "
            "needs an operator (`manage.py encryption_status` on the server)."
        )
    key, value, version = item.get("key"), item.get("value"), item.get("version")
    if value is None:
        value = parse_credential(item)
    if not isinstance(key, str) or value is None or version is None:
        raise ProtocolError("keyvault answered with a setting that lacks a key, value or version.")
    if not isinstance(value, str | Credential):
        raise ProtocolError("keyvault answered with a value that is not text.")
    return RemoteSetting(key, value, etag_for(version))
