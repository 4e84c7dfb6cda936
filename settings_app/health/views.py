"""`GET /healthz` (the process answers) and `GET /readyz` (it can serve: database, migrations,
keys and cache all fine). Unauthenticated, never cached, and kept out of the access log."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .checks import OK, run_checks


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: touches neither the database nor the cache."""
    return JsonResponse({"status": OK})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check passes, 503 naming the ones that did not."""
    checks = run_checks()
    failing = sorted(name for name, answer in checks.items() if answer != OK)
    if failing:
        return JsonResponse(
            {"status": "unavailable", "failing": failing, "checks": checks}, status=503
        )
    return JsonResponse({"status": OK, "checks": checks})
