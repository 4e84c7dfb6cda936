"""One model for every one-time form field: FormTicket replaces RevealToken and TokenFormTicket.

Tickets live for minutes and are not carried over: a reveal, service-token or import form left
open during the upgrade answers its POST with "already used or has expired" and asks the user to
fill it in again (a reload).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("settings_app", "0029_settingversion_secret_fingerprints"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="FormTicket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("digest", models.CharField(max_length=64, unique=True)),
                ("purpose", models.CharField(max_length=32)),
                ("subject", models.CharField(blank=True, default="", max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("expires_at", models.DateTimeField(db_index=True)),
                ("spent_at", models.DateTimeField(blank=True, null=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.DeleteModel(name="RevealToken"),
        migrations.DeleteModel(name="TokenFormTicket"),
    ]
