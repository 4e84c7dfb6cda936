"""Key admins may restore earlier versions (settings_app.rollback_setting); editors may not."""

from django.db import migrations

from settings_app.roles import EDITORS, KEY_ADMINS, VIEWERS, roles_as_of

# The roles as of this migration (see settings_app/roles.py for the current definition).
ROLES = {
    VIEWERS: ("settings_app.view_setting",),
    EDITORS: ("settings_app.view_setting", "settings_app.add_setting", "settings_app.change_setting"),
    KEY_ADMINS: (
        "settings_app.view_setting",
        "settings_app.add_setting",
        "settings_app.change_setting",
        "settings_app.delete_setting",
        "settings_app.reveal_setting",
        "settings_app.rollback_setting",
        "settings_app.view_auditevent",
    ),
}


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0009_first_versions")]

    operations = [migrations.RunPython(roles_as_of(ROLES), migrations.RunPython.noop)]
