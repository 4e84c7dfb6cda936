"""Middleware: every web request acts as the admin user who made it, for the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .actor import acting
from .models import AuditSource


class AuditActorMiddleware:
    """Attribute what a request changes (ORM saves included) to its user, IP and user agent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting(AuditSource.ADMIN, request=request):
            return self.get_response(request)
