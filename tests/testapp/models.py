"""Models that exist only for the test suite, to exercise the field in several contexts."""

from __future__ import annotations

from django.db import models

from settings_app.encryption.fields import EncryptedManager, EncryptedTextField


class Secret(models.Model):
    value = EncryptedTextField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    objects = EncryptedManager()


class OtherSecret(models.Model):
    value = EncryptedTextField(null=True, blank=True)
    other = EncryptedTextField(null=True, blank=True)

    objects = EncryptedManager()


class Token(models.Model):
    token = EncryptedTextField(deterministic=True, null=True, db_index=True)

    objects = EncryptedManager()


class PlainSecret(models.Model):
    value = models.TextField(null=True, blank=True)
