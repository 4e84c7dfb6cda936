"""`check_usage`: tell the key admins when a token passes twice its normal day, once per day.

The notice goes through the reminders' channels (e-mail to the key admins and
KEYVAULT_NOTIFY_EMAILS, and the signed webhook) and an audit event records the same numbers:
the token, today's total, the baseline, the days it came from and the top models. Never a
value, never a prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from settings_app import audit
from settings_app.api.models import ServiceToken
from settings_app.audit.models import AuditAction
from settings_app.notifications.channels import Channel, DeliveryError, configured_channels
from settings_app.notifications.wording import SUBJECT_PREFIX, NoticeMessage

from .baseline import Baseline, baseline, factor
from .models import GatewayUsage, UsageAlertSent

TOP_MODELS = 3


@dataclass(frozen=True)
class UsageAlert:
    """A token whose running total today exceeds the factor times its baseline."""

    token: ServiceToken
    day: date
    today_tokens: int
    baseline: Baseline
    top_models: tuple[tuple[str, int], ...]


@dataclass
class AlertRun:
    sent: list[UsageAlert] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    channels: tuple[str, ...] = ()


def due_alerts(now: datetime | None = None) -> list[UsageAlert]:
    """Every token over its threshold today (UTC), alerted already or not."""
    today = (now or timezone.now()).astimezone(UTC).date()
    totals = (
        GatewayUsage.objects.filter(day=today)
        .values("token_id")
        .annotate(total=Sum(F("input_tokens") + F("output_tokens")))
    )
    found = []
    for row in totals.order_by("token_id"):
        normal = baseline(row["token_id"], today)
        if normal is not None and row["total"] > factor() * normal.tokens:
            token = ServiceToken.objects.get(pk=row["token_id"])
            found.append(UsageAlert(token, today, int(row["total"]), normal, _top(token, today)))
    return found


def _top(token: ServiceToken, today: date) -> tuple[tuple[str, int], ...]:
    rows = (
        GatewayUsage.objects.filter(token=token, day=today)
        .values("model")
        .annotate(total=Sum(F("input_tokens") + F("output_tokens")))
        .order_by("-total", "model")[:TOP_MODELS]
    )
    return tuple((row["model"] or "(unnamed)", int(row["total"])) for row in rows)


def check_usage(now: datetime | None = None, channels: Sequence[Channel] | None = None) -> AlertRun:
    """Send each due alert not sent today; what `manage.py check_usage` runs."""
    now = now or timezone.now()
    channels = configured_channels() if channels is None else channels
    run = AlertRun(channels=tuple(channel.name for channel in channels))
    for alert in due_alerts(now):
        _send(alert, channels, now, run)
    return run


def _send(alert: UsageAlert, channels: Sequence[Channel], now: datetime, run: AlertRun) -> None:
    message = compose(alert)
    try:
        with transaction.atomic():
            _claim(alert, now)
            failures = _deliver(message, channels)
            if channels and len(failures) == len(channels):
                raise DeliveryError("; ".join(failures))  # nothing went out: retry next run
            audit.record_as_current_actor(AuditAction.USAGE_ALERT, **details(alert))
    except IntegrityError:
        return  # already alerted today
    except DeliveryError as error:
        run.failures.append(f"{alert.token.name}: {error}")
        return
    run.failures += [f"{alert.token.name}: {failure}" for failure in failures]
    run.sent.append(alert)


def _claim(alert: UsageAlert, now: datetime) -> None:
    with transaction.atomic():
        UsageAlertSent.objects.create(
            token=alert.token,
            day=alert.day,
            today_tokens=alert.today_tokens,
            baseline_tokens=alert.baseline.tokens,
            sent_at=now,
        )


def _deliver(message: NoticeMessage, channels: Sequence[Channel]) -> list[str]:
    failures = []
    for channel in channels:
        try:
            channel.send(message)
        except DeliveryError as error:
            failures.append(f"{channel.name}: {error}")
    return failures


def details(alert: UsageAlert) -> dict[str, Any]:
    """The numbers the notice and the audit event carry."""
    return {
        "token_name": alert.token.name,
        "day": alert.day.isoformat(),
        "today_tokens": alert.today_tokens,
        "baseline_tokens": alert.baseline.tokens,
        "factor": factor(),
        "baseline_days": [day.isoformat() for day in alert.baseline.days],
        "top_models": [f"{model}: {tokens}" for model, tokens in alert.top_models],
    }


def compose(alert: UsageAlert) -> NoticeMessage:
    ratio = alert.today_tokens / alert.baseline.tokens
    subject = f"{SUBJECT_PREFIX}Gateway token {alert.token.name} used {ratio:.1f}x its normal day"
    models = ", ".join(f"{model} ({tokens:,})" for model, tokens in alert.top_models)
    days = alert.baseline.days
    text = (
        f"Service token {alert.token.name} has used {alert.today_tokens:,} tokens today "
        f"({alert.day.isoformat()}, UTC), {ratio:.1f} times its baseline of "
        f"{alert.baseline.tokens:,} (the median of {len(days)} days with usage, "
        f"{days[0].isoformat()} to {days[-1].isoformat()}).\n"
        f"Top models today: {models}.\n"
        "If this is not expected, revoke the token in the admin's Service tokens page or "
        "with `manage.py revoke_service_token`."
    )
    return NoticeMessage(subject, text, {"text": text, "usage_alert": details(alert)})
