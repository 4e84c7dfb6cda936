"""The outermost middleware: give each request its id, and write its one access line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ..request_context.client_address import client_ip
from . import context
from .filters import ACCESS_LOGGER

HEADER = "X-Request-ID"

access_log = logging.getLogger(ACCESS_LOGGER)


class RequestContextMiddleware:
    """Take a well-formed X-Request-ID or make one; every line logged inside carries it, and
    the response echoes it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = context.request_id_from(request.headers.get(HEADER))
        started = time.perf_counter()
        with context.handling(request_id, client_ip(request)) as current:
            request.keyvault_context = current  # type: ignore[attr-defined]
            response = self.get_response(request)
            response[HEADER] = request_id
            log_access(request, response, time.perf_counter() - started)
        return response


def log_access(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    """One line per request: method, path (never the query string), status and duration."""
    milliseconds = round(seconds * 1000, 1)
    access_log.info(
        "%s %s %s %sms",
        request.method,
        request.path,
        response.status_code,
        milliseconds,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": milliseconds,
        },
    )
