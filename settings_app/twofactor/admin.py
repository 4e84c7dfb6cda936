"""No generic admin for second factors: they change only through audited paths.

django-otp registers a TOTP device admin, where a superuser could read a device's secret or
delete it without an audit event. Devices are managed at /admin/2fa/ (each user, their own) and
by `manage.py reset_2fa` (operators), both audited and mailed.
"""

from __future__ import annotations

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice


def unregister_device_admins(site: admin.AdminSite) -> None:
    if site.is_registered(TOTPDevice):
        site.unregister(TOTPDevice)


unregister_device_admins(admin.site)
