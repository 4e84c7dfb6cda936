"""Notice: one reminder sent about one setting through one channel, recorded so it goes out once.

The unique constraint on (setting, kind, threshold, period, channel) is the claim: a run inserts
the row before sending, in the transaction that also records the audit event, and only one
run's INSERT can succeed. `settings_app.models` re-exports the model.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class NoticeKind(models.TextChoices):
    EXPIRES_SOON = "expires_soon", "Expires soon"
    EXPIRED = "expired", "Expired"
    INVALID = "invalid", "Turned invalid"


class NoticeChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class Notice(models.Model):
    """A notice that was sent (rows of failed sends are rolled back, so a later run retries)."""

    setting = models.ForeignKey(
        "settings_app.Setting", on_delete=models.CASCADE, related_name="notices", editable=False
    )
    kind = models.CharField(max_length=16, choices=NoticeKind.choices, editable=False)
    # Days before expiry (30, 7 or 1); 0 for "expired" and "invalid".
    threshold = models.PositiveSmallIntegerField(editable=False)
    # What the notice is about: the expiry date, or the value (when it last changed), so a
    # new expiry date or a new value starts the reminders afresh.
    period = models.CharField(max_length=64, editable=False)
    channel = models.CharField(max_length=16, choices=NoticeChannel.choices, editable=False)
    sent_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        app_label = "settings_app"
        ordering = ("-sent_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("setting", "kind", "threshold", "period", "channel"),
                name="notice_sent_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.threshold} d) via {self.channel}"
