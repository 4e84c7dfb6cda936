"""URL routes: the Django admin for people, the read API (/api/v1/) for services.

The gateway (/gateway/) is not here: keyvault_site/asgi.py routes it before Django's handler.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from settings_app.gateway.views import UsageView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/usage", UsageView.as_view(), name="usage"),
    path("api/v1/", include("settings_app.api.urls")),
]

# Under /api/ these answer JSON {"detail": ...}; elsewhere, Django's own pages.
handler404 = "settings_app.api.errors.not_found"
handler500 = "settings_app.api.errors.server_error"
