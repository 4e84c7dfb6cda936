"""`GET /metrics`: off (404) without KEYVAULT_METRICS_TOKEN, and only for its bearer."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from .exposition import exposition

CHALLENGE = 'Bearer realm="keyvault metrics"'
UNAUTHORIZED = "Send Authorization: Bearer <KEYVAULT_METRICS_TOKEN>.\n"


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    expected = str(getattr(settings, "KEYVAULT_METRICS_TOKEN", ""))
    if not expected:
        raise Http404("Metrics are off: set KEYVAULT_METRICS_TOKEN to serve them.")
    if not presents_token(request, expected):
        response = HttpResponse(UNAUTHORIZED, status=401)
        response["WWW-Authenticate"] = CHALLENGE
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def presents_token(request: HttpRequest, expected: str) -> bool:
    """Whether the request carries `Authorization: Bearer <expected>`."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    # Constant time: the comparison must not tell how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), expected.encode()
    )
