"""GatewayUsage: the tokens a provider reported, per day (UTC), service token, setting and model.

Imported by settings_app/models.py, so the model keeps the `settings_app` app label. Rows are
only ever incremented with F-expressions (recording.py), so concurrent workers never lose a
count.
"""

from __future__ import annotations

from django.db import models

from settings_app.api.models import ServiceToken
from settings_app.constants import KEY_MAX_LENGTH

MODEL_MAX_LENGTH = 200


class GatewayUsage(models.Model):
    """What one token spent through the gateway on one setting and model, on one UTC day."""

    day = models.DateField()
    token = models.ForeignKey(ServiceToken, on_delete=models.CASCADE, related_name="+")
    setting_key = models.CharField(max_length=KEY_MAX_LENGTH)
    model = models.CharField(max_length=MODEL_MAX_LENGTH, blank=True, default="")
    requests = models.PositiveBigIntegerField(default=0)
    input_tokens = models.PositiveBigIntegerField(default=0)
    output_tokens = models.PositiveBigIntegerField(default=0)
    # Responses that carried no usage: counted as requests with zero tokens.
    unmetered = models.PositiveBigIntegerField(default=0)

    class Meta:
        default_permissions = ("view",)
        verbose_name = "gateway usage"
        verbose_name_plural = "gateway usage"
        constraints = [
            models.UniqueConstraint(
                fields=["day", "token", "setting_key", "model"], name="gateway_usage_unique_row"
            )
        ]
        indexes = [models.Index(fields=["token", "day"], name="gateway_usage_token_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.setting_key} {self.model}"

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


class UsageAlertSent(models.Model):
    """The 2x alert for one token on one UTC day; the unique row is the claim that it goes once."""

    token = models.ForeignKey(ServiceToken, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    today_tokens = models.PositiveBigIntegerField()
    baseline_tokens = models.PositiveBigIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["token", "day"], name="usage_alert_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.today_tokens} tokens against {self.baseline_tokens}"
