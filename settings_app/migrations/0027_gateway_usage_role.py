"""Key admins see the Gateway usage page (view_gatewayusage)."""

from __future__ import annotations

from django.db import migrations

from settings_app.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0026_service_token_gateway_and_usage")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
