"""Test-only URLs: the admin plus the reveal view, mounted where the Setting admin will put it."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from settings_app import audit_admin  # noqa: F401  (registers AuditEvent with admin.site)
from settings_app.reveal import reveal_setting_view

urlpatterns = [
    path(
        "admin/settings_app/setting/<path:object_id>/reveal/",
        admin.site.admin_view(reveal_setting_view),
        name="settings_app_setting_reveal",
    ),
    path("admin/", admin.site.urls),
]
