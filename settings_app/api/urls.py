"""API routes, mounted at /api/v1/ by keyvault_site/urls.py."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import schema  # noqa: F401  (describes the token authentication in the schema)
from .views import SettingListView
from .writes.views import RollbackView, SettingView, VerifyView

app_name = "api"

urlpatterns = [
    path("settings/", SettingListView.as_view(), name="settings"),
    path("settings/<str:key>", SettingView.as_view(), name="setting"),
    path("settings/<str:key>/rollback", RollbackView.as_view(), name="rollback"),
    path("settings/<str:key>/verify", VerifyView.as_view(), name="verify"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
