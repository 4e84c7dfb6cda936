"""Give every existing setting its version 1: its current value, re-encrypted as a version."""

from django.db import migrations

from settings_app.masking import mask
from settings_app.unreadable import UnreadableValue


def first_versions(apps, schema_editor):
    Setting = apps.get_model("settings_app", "Setting")
    SettingVersion = apps.get_model("settings_app", "SettingVersion")
    db = schema_editor.connection.alias
    for setting in Setting.objects.using(db).select_related("updated_by").iterator():
        if isinstance(setting.value, UnreadableValue):
            continue  # unreadable with these keys: its next value becomes its first version
        SettingVersion.objects.using(db).create(
            setting=setting,
            version=setting.version,
            value=setting.value,
            mask=mask(setting.value, setting.provider)[:64],
            created_at=setting.updated_at,
            created_by=setting.updated_by,
            created_by_label=getattr(setting.updated_by, "username", "") or "",
            verification_status=setting.verification_status,
        )


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0008_versions")]

    # Reversing drops nothing here: 0008's reversal removes the table.
    operations = [migrations.RunPython(first_versions, migrations.RunPython.noop)]
