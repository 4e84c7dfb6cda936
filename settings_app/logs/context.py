"""What the request being handled is, for every log line and audit event written meanwhile.

Context variables, not thread locals: each request of a threaded development server, a gunicorn
worker or an ASGI task sees its own. This module imports nothing of the app, so the audit trail
and the formatters can both read it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# What a caller's X-Request-ID may be: anything else is replaced, never echoed (log injection).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")


@dataclass
class RequestContext:
    """The request id, the client's address and (API requests) the service token's name.

    One per request, also kept on the request (`request.keyvault_context`): Django logs a
    response's status after the middleware has returned, and those lines carry it too.
    """

    request_id: str = ""
    client_address: str = ""
    token_name: str = ""


_NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("keyvault_request_context", default=_NO_REQUEST)


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is well-formed, otherwise a new UUID."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return str(uuid.uuid4())


@contextmanager
def handling(request_id: str, client_address: str) -> Iterator[RequestContext]:
    """Log lines and audit events inside belong to this request."""
    token = _current.set(RequestContext(request_id, client_address))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current() -> RequestContext:
    """The request being handled (empty fields outside a request)."""
    return _current.get()


def set_token_name(name: str) -> None:
    """Name the service token the current request authenticated with (never the token)."""
    current = _current.get()
    if current is not _NO_REQUEST:
        current.token_name = name
