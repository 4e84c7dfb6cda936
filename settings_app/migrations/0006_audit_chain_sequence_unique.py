"""The sequence orders the audit chain and keeps it from forking, so it is unique; previous_hash
no longer is (an edited row must not make every later append fail)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("settings_app", "0005_audit_chain_sequence"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={
                "default_permissions": ("view",),
                "get_latest_by": "sequence",
                "ordering": ("-sequence",),
                "verbose_name": "audit event",
            },
        ),
    ]
