"""The audit chain gets an explicit sequence and a locked head row (see settings_app/audit/chain.py).

Existing events keep their hashes (format 1) and get sequences in id order, the order they were
chained in; the head starts at the newest of them. 0006 then makes the sequence unique.
"""

from django.db import migrations, models

BATCH = 2000


def assign_sequences(apps, schema_editor):
    event_model = apps.get_model("settings_app", "AuditEvent")
    head_model = apps.get_model("settings_app", "AuditChainHead")
    db = schema_editor.connection.alias
    events = event_model.objects.using(db).order_by("id").only("id", "hash")
    batch, sequence, last_hash = [], 0, ""
    for event in events.iterator(chunk_size=BATCH):
        sequence += 1
        event.sequence, last_hash = sequence, event.hash
        batch.append(event)
        if len(batch) == BATCH:
            event_model.objects.using(db).bulk_update(batch, ["sequence"])
            batch = []
    event_model.objects.using(db).bulk_update(batch, ["sequence"])
    head_model.objects.using(db).update_or_create(
        pk=1, defaults={"sequence": sequence, "hash": last_hash}
    )


class Migration(migrations.Migration):

    dependencies = [
        ("settings_app", "0004_audit_actions_and_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sequence", models.PositiveBigIntegerField(default=0)),
                ("hash", models.CharField(blank=True, default="", max_length=64)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.PositiveBigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain_format",
            field=models.PositiveSmallIntegerField(default=1, editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(assign_sequences, migrations.RunPython.noop, elidable=False),
    ]
