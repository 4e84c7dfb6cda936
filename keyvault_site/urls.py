"""URL routes: the Django admin for people, the read API (/api/v1/) for services, and the
probes and metrics for the platform (/healthz, /readyz, /metrics)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from settings_app.health.views import healthz, readyz
from settings_app.metrics.views import metrics_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/2fa/passkeys/", include("settings_app.twofactor.passkeys")),
    path("admin/2fa/", include("settings_app.twofactor.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("settings_app.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]

# Under /api/ these answer JSON {"detail": ...}; elsewhere, Django's own pages.
handler404 = "settings_app.api.errors.not_found"
handler500 = "settings_app.api.errors.server_error"
