"""Benchmark 8's routes: the real API, and the floor it is compared with.

The floor is the least a token-authenticated Django JSON endpoint does: read the bearer token,
look its SHA-256 up in an indexed column (one query), answer a small JSON body.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from settings_app.api.models import ServiceToken
from settings_app.health.views import readyz

FLOOR_URL = "/floor/settings/openai_api_key"


def floor_view(request: HttpRequest, key: str) -> HttpResponse:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    digest = hashlib.sha256(token.encode()).hexdigest()
    if not ServiceToken.objects.filter(token_hash=digest).exists():
        return JsonResponse({"detail": "unauthorised"}, status=401)
    return JsonResponse({"key": key, "value": "sk-proj-floor", "version": 1})


urlpatterns = [
    path("api/v1/", include("settings_app.api.urls")),
    path("floor/settings/<str:key>", floor_view),
    path("readyz", readyz),  # the server is up (deploy/serve.sh's workers have started)
]
