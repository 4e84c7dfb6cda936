"""KeyCheck: one row holding a known text sealed under the current keys, one part per kind."""

from __future__ import annotations

from django.db import models


class KeyCheck(models.Model):
    """Envelopes of a fixed text: whoever can open them holds the keys that wrote the data.

    Written by `migrate` (when keys are configured) or by `reencrypt`, and moved to the current
    keys by `reencrypt` after a rotation; never edited by hand, so it has no admin and no
    permissions.
    """

    randomized = models.TextField(editable=False)  # under the primary key (AES-256-GCM)
    deterministic = models.TextField(editable=False)  # under the deterministic key (AES-SIV)
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "settings_app"
        verbose_name = "key-check record"
        default_permissions = ()

    def __str__(self) -> str:
        return "key-check record"
