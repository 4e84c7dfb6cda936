"""RevealToken: the database row behind each reveal form, so that it can be spent only once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RevealToken(models.Model):
    """The token of one reveal form shown to one user for one setting; spent by one POST."""

    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the token, never it
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    setting = models.ForeignKey("settings_app.Setting", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    spent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "settings_app"
        default_permissions = ()  # internal state, not in the admin

    def __str__(self) -> str:
        return f"reveal token for setting {self.setting_id}"
