"""Create the keyvault groups (viewers, editors, key admins) defined in settings_app/roles.py."""

from django.db import migrations

from settings_app.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("settings_app", "0002_auditevent"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Reversing keeps the groups: people may have been added to them since.
    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
