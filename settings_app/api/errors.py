"""JSON answers for the errors Django itself produces under /api/: unknown routes and crashes.

DRF answers JSON for what reaches its views; a route that matches no view, or an exception no
view handled, would otherwise get Django's HTML page, which no API client can read.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"
NO_ROUTE = "No such API route: the routes are listed in the schema at /api/v1/schema/."
CRASHED = "The server failed to answer; the error has been logged. Try again later."


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(detail: str, status: int) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under /api/, Django's page elsewhere."""
    if _is_api(request):
        return _json(NO_ROUTE, 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON under /api/ (never the exception), Django's page elsewhere."""
    if _is_api(request):
        return _json(CRASHED, 500)
    return defaults.server_error(request)
