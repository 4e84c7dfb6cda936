"""Existing settings' value_changed_at: when their newest version was written.

A setting without versions (its value could not be decrypted when versions began) takes
updated_at, which is what its first version would have recorded.
"""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def value_changed_from_versions(apps, schema_editor):
    Setting = apps.get_model("settings_app", "Setting")
    SettingVersion = apps.get_model("settings_app", "SettingVersion")
    db = schema_editor.connection.alias
    newest = (
        SettingVersion.objects.using(db)
        .filter(setting=OuterRef("pk"))
        .order_by("-version")
        .values("created_at")[:1]
    )
    # A bulk UPDATE: no row is decrypted, no version or audit event is written.
    Setting.objects.using(db).filter(value_changed_at__isnull=True).update(
        value_changed_at=Coalesce(Subquery(newest), F("updated_at"))
    )


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0016_notifications")]

    # Reversing leaves the column to 0016's reversal, which drops it.
    operations = [migrations.RunPython(value_changed_from_versions, migrations.RunPython.noop)]
