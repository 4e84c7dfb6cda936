"""Create the database cache's table, so that `migrate` alone makes a working install.

The API's rate counters and the value cache's change stamp live in the default cache; with the
default database cache, its table used to need a separate `createcachetable`.
"""

from __future__ import annotations

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):  # type: ignore[no-untyped-def]
    # Idempotent: a table that exists is left as it is; other cache backends need none.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("settings_app", "0023_two_factor_recovery_codes")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
