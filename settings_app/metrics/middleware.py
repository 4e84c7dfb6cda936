"""Admin latency, by view: how long each admin page took, labelled by its URL pattern's name."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .recording import record_admin_request


class AdminLatencyMiddleware:
    """Observe the admin's requests in `keyvault_admin_request_seconds{view=...}`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # The pattern's name ("admin:settings_app_setting_change"), never the object's id.
        if match is not None and "admin" in match.namespaces:
            record_admin_request(match.view_name, time.perf_counter() - started)
        return response
