"""The gateway's own answers: JSON errors shaped as the provider SDKs read them.

`{"type": "error", "error": {"type": ..., "message": ...}}` is what the Anthropic SDK expects,
and the OpenAI SDK reads `error.message` from the same body. Messages name a provider host at
most, never a key, a token or a value.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from settings_app import metrics

Send = Callable[[dict[str, Any]], Awaitable[None]]

UNAUTHORIZED = (
    "A valid service token is required: send it as Authorization: Bearer kvt_..., x-api-key, "
    "api-key or x-goog-api-key."
)
NOT_FOUND = "No setting with this key can be called through the gateway with this token."
FORBIDDEN = "This token may not be used from this address."
UNDECRYPTABLE = "The stored provider key cannot be decrypted with the configured keys."
HTTPS_ONLY = "The gateway answers over HTTPS only: call https://... (the token was not checked)."
TOO_LARGE = "The request body is larger than KEYVAULT_GATEWAY_MAX_BODY ({limit} bytes)."
LIMITED = (
    "This token reached its daily limit of {limit} tokens; it resets at 00:00 UTC "
    "(Retry-After gives the seconds)."
)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    502: "api_error",
    504: "timeout_error",
}


async def refuse(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer before anything was sent upstream, counted in the refusals metric."""
    metrics.record_gateway_refusal(status)
    await send_error(send, status, message, headers)


async def send_error(
    send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    error = {"type": ERROR_TYPES.get(status, "api_error"), "message": message}
    body = json.dumps({"type": "error", "error": error}).encode()
    start_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *(headers or []),
    ]
    if status == 401:
        start_headers.append((b"www-authenticate", b'Bearer realm="keyvault"'))
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})
