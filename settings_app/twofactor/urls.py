"""The two-factor pages, mounted at /admin/2fa/ before the admin's own URLs."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "twofactor"
urlpatterns = [
    path("", views.manage_view, name="manage"),
    path("verify/", views.verify_view, name="verify"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("recovery-codes/", views.recovery_codes_view, name="recovery_codes"),
    path("remove/", views.remove_device_view, name="remove"),
]
