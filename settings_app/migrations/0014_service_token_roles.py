"""Give key admins the service token permissions (settings_app/roles.py)."""

from django.db import migrations

from settings_app.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("settings_app", "0013_service_tokens"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Reversing keeps the groups' permissions: the roles are defined by the code.
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
