"""One table per contender, so every benchmark compares like with like (same rows, same SQL)."""

from __future__ import annotations

from django.db import models
from encrypted_fields.fields import EncryptedTextField as FernetTextField

from settings_app.encryption.fields import EncryptedTextField


class BenchRow(models.Model):
    """A row of one contender's table; `str()` names it without its value."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class PlainRow(BenchRow):
    value = models.TextField()


class KeyvaultRow(BenchRow):
    value = EncryptedTextField()


class FernetRow(BenchRow):
    value = FernetTextField()


class PlainIndexedRow(BenchRow):
    value = models.TextField(db_index=True)


class DeterministicRow(BenchRow):
    value = EncryptedTextField(deterministic=True, db_index=True)


class ReencryptRow(BenchRow):
    """Rows seeded under a fallback key: what `reencrypt` moves to the current key."""

    value = EncryptedTextField()


class KeyvaultRowEnvelope(BenchRow):
    """KeyvaultRow's table read as plain text: the ORM floor decrypts these with bare AESGCM."""

    value = models.TextField()

    class Meta:
        managed = False
        db_table = "benchapp_keyvaultrow"
