"""Writing and listing over the API: set, roll back, delete, verify, list and older versions.

PUT    /api/v1/settings/<key>            {"value" or "fields", "provider"?} -> {"key", "version"...}
       If-Match: "<version>" is check-and-set; a stale one answers 412 {"current_version"}
POST   /api/v1/settings/<key>/rollback   {"version": N}
POST   /api/v1/settings/<key>/verify     -> {"status", "detail", "verified_at"}
DELETE /api/v1/settings/<key>
GET    /api/v1/settings/<key>?version=N  an older value
Each needs a token with a write scope (older versions: a creator who may restore them).
"""

from __future__ import annotations

import json

from .credentials import Credential
from .errors import Conflict, Forbidden, ProtocolError, Refused, StructuredCredential
from .protocol import (
    Response,
    bulk_path,
    parse_one,
    raise_for_status,
    request_headers,
    setting_path,
)

TYPE_CHECKING = False  # see protocol.py
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .config import Config
    from .transports import Transport

LISTED_FIELDS = ("key", "provider", "version", "updated_at")


class WriteMethods:
    """The write side of `Client`: each call is one request, and none is cached."""

    _transport: Transport
    _config: Config

    def set(
        self, key: str, value: str, *, if_version: int | None = None, provider: str | None = None
    ) -> dict[str, Any]:
        """Store `value` as the new version of `key` (created if missing); the server's answer
        (key, version, provider, updated_at, warnings). `if_version`: only over that version
        (0: only create), else `Conflict`."""
        payload: dict[str, str] = {"value": value}
        if provider:
            payload["provider"] = provider
        return self._write("PUT", setting_path(key), key, payload, if_version)

    def set_fields(
        self,
        key: str,
        fields: Mapping[str, str],
        *,
        if_version: int | None = None,
        provider: str | None = None,
    ) -> dict[str, Any]:
        """Write the fields of structured credential `key` (Azure OpenAI, Bedrock, Vertex AI...;
        `provider` to create one). Fields left out keep their stored values, "" clears one;
        changing a routing field (endpoint, region...) needs every secret in the same write.
        Answers and `if_version` as for `set`."""
        payload: dict[str, object] = {"fields": dict(fields)}
        if provider:
            payload["provider"] = provider
        return self._write("PUT", setting_path(key), key, payload, if_version)

    def rollback(self, key: str, version: int, *, if_version: int | None = None) -> dict[str, Any]:
        """Make `version` of `key` current again, as a new version."""
        path = setting_path(key) + "/rollback"
        return self._write("POST", path, key, {"version": version}, if_version)

    def verify(self, key: str) -> dict[str, Any]:
        """Ask the provider, through the server, whether the stored key works."""
        return self._write("POST", setting_path(key) + "/verify", key, None, None)

    def delete(self, key: str, *, if_version: int | None = None) -> None:
        self._write("DELETE", setting_path(key), key, None, if_version)

    def get_version(self, key: str, version: int) -> str:
        """The value `key` had at `version` (StructuredCredential if it had several fields)."""
        value = self.get_version_item(key, version)
        if isinstance(value, Credential):
            raise StructuredCredential(key)
        return value

    def get_version_item(self, key: str, version: int) -> str | Credential:
        """The value, or the Credential, `key` had at `version`."""
        response = self._request("GET", f"{setting_path(key)}?version={int(version)}", key)
        return parse_one(response).value

    def list(self) -> list[dict[str, Any]]:
        """Key, provider, version and updated_at of every setting in scope; never values."""
        document = _json(self._request("GET", bulk_path(None) + "?values=false", None))
        items = document.get("settings") if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise ProtocolError("keyvault answered without a settings list.")
        return [{name: item.get(name) for name in LISTED_FIELDS} for item in items]

    def _write(
        self, method: str, path: str, key: str, payload: Any, if_version: int | None
    ) -> dict[str, Any]:
        extra = _precondition(if_version)
        body = None if payload is None else json.dumps(payload).encode()
        response = self._request(method, path, key, body, extra)
        return {} if response.status == 204 else _json(response)

    def _request(
        self,
        method: str,
        path: str,
        key: str | None,
        body: bytes | None = None,
        extra: dict[str, str] | None = None,
    ) -> Response:
        headers = {**request_headers(self._config.token), **(extra or {})}
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = self._transport(path, headers, method, body)
        _raise_for_write(response, key, self._config.origin)
        return response


def _precondition(if_version: int | None) -> dict[str, str]:
    if if_version is None:
        return {}
    if if_version == 0:
        return {"If-None-Match": "*"}
    return {"If-Match": f'"{int(if_version)}"'}


def _raise_for_write(response: Response, key: str | None, origin: str) -> None:
    status = response.status
    if status in (200, 201, 204):
        return
    detail = _detail(response)
    if status == 412:
        current = _json(response).get("current_version", 0)
        raise Conflict(detail or f"{key} changed meanwhile.", int(current))
    if status in (400, 409):
        raise Refused(detail or f"{origin} refused the request (HTTP {status}).")
    if status == 403 and detail:
        raise Forbidden(f"{origin}: {detail}")
    if status == 404 and key is not None and detail and "version" in detail:
        raise Refused(detail)
    raise_for_status(response, [key] if key else [], origin)
    raise ProtocolError(f"{origin} answered HTTP {status}, which a write never gets.")


def _detail(response: Response) -> str:
    try:
        document = json.loads(response.body)
    except ValueError:
        return ""
    detail = document.get("detail") if isinstance(document, dict) else None
    return detail if isinstance(detail, str) else ""


def _json(response: Response) -> Any:
    try:
        return json.loads(response.body)
    except ValueError:
        raise ProtocolError("keyvault answered with something that is not JSON.") from None
