"""SettingVersion: one value a setting has held, encrypted under its own column context.

The current value of a setting is also its newest version. A version's ciphertext is bound to
`settings_app.SettingVersion.value`, so it cannot be pasted back into `Setting.value` (or the
other way round) by anyone with database access. Destroying a version removes its ciphertext
and fingerprints and keeps who, when and the mask.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ..constants import VerificationStatus, user_reference
from ..credentials.index import SecretFieldsIndexField
from ..encryption.fields import BlindIndexField, EncryptedManager, EncryptedTextField

MASK_MAX_LENGTH = 64
LABEL_MAX_LENGTH = 150  # a username, or a command such as "manage.py import_env"


class SettingVersion(models.Model):
    """A value of a setting: its number, ciphertext, fingerprint, mask, author and status."""

    setting = models.ForeignKey(
        "settings_app.Setting",
        on_delete=models.CASCADE,  # deleting a setting deletes its versions' ciphertexts
        related_name="versions",
        editable=False,
    )
    version = models.PositiveIntegerField(editable=False)
    # Randomized and nullable: a destroyed version keeps its row without its ciphertext.
    value = EncryptedTextField(null=True, editable=False)
    value_fingerprint = BlindIndexField(source="value")
    # A structured credential's secret fields, one fingerprint each: find_secret finds a past
    # version by any one of them, as it finds the current value.
    secret_fingerprints = SecretFieldsIndexField()
    mask = models.CharField(max_length=MASK_MAX_LENGTH, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The FK is nulled when the user is deleted; the label keeps the name (or the command).
    created_by = user_reference()
    created_by_label = models.CharField(max_length=LABEL_MAX_LENGTH, blank=True, editable=False)
    verification_status = models.CharField(
        max_length=16,
        choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
        editable=False,
    )
    restored_from = models.PositiveIntegerField(null=True, blank=True, editable=False)
    destroyed_at = models.DateTimeField(null=True, blank=True, editable=False)
    destroyed_by_label = models.CharField(max_length=LABEL_MAX_LENGTH, blank=True, editable=False)

    objects = EncryptedManager()

    class Meta:
        ordering = ("setting", "-version")
        constraints = [
            models.UniqueConstraint(
                fields=("setting", "version"), name="settingversion_one_row_per_number"
            )
        ]
        # Versions are managed through their setting's permissions (view, rollback, delete).
        default_permissions = ()
        verbose_name = "setting version"

    def __str__(self) -> str:
        return f"version {self.version}"

    def __repr__(self) -> str:
        # Never the value: repr() ends up in logs, tracebacks and debug pages.
        return f"<SettingVersion setting_id={self.setting_id} version={self.version}>"

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None
