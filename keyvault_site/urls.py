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
    path("admin/", admin.site.urls),
    path("api/v1/", include("settings_app.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
]
