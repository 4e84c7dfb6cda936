"""Create the keyvault groups (viewers, editors, key admins) defined in settings_app/roles.py."""

from django.db import migrations

from settings_app.roles import EDITORS, KEY_ADMINS, VIEWERS, roles_as_of

# The roles as this migration defined them (later migrations grant more).
ROLES = {
    VIEWERS: ("settings_app.view_setting",),
    EDITORS: ("settings_app.view_setting", "settings_app.add_setting", "settings_app.change_setting"),
    KEY_ADMINS: (
        "settings_app.view_setting",
        "settings_app.add_setting",
        "settings_app.change_setting",
        "settings_app.delete_setting",
        "settings_app.reveal_setting",
        "settings_app.view_auditevent",
    ),
}


class Migration(migrations.Migration):
    dependencies = [
        ("settings_app", "0002_auditevent"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Reversing keeps the groups: people may have been added to them since.
    operations = [migrations.RunPython(roles_as_of(ROLES), migrations.RunPython.noop)]
