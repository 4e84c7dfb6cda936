"""API routes, mounted at /api/v1/ by keyvault_site/urls.py."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import schema  # noqa: F401  (describes the token authentication in the schema)
from .views import SettingDetailView, SettingListView

app_name = "api"

urlpatterns = [
    path("settings/", SettingListView.as_view(), name="settings"),
    path("settings/<str:key>", SettingDetailView.as_view(), name="setting"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
