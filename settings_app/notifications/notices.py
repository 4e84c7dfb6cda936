"""Notices: which are due, and sending each once, however many runs overlap.

One notice per setting, kind and threshold: 30, 7 and 1 days before the expiry date, once
expired, and once the provider refuses the key. Each is sent at most once per expiry date (a
new date starts afresh) or per value (a new value that is refused again gets a new notice).

Sending one notice through one channel is one transaction: INSERT the Notice row (the claim:
its unique constraint lets only one run's INSERT succeed; a concurrent run waits for the first
to finish and then finds the row), send, record the `notice_sent` audit event, commit. If
sending fails, the claim and its event roll back, a `notice_failed` event is recorded instead,
and the next run tries again. E-mail and webhook are claimed separately, so a webhook outage
never re-sends the e-mail. (If the process dies after sending but before committing, the
notice is sent again by the next run: at least once, never silently lost.)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import audit, metrics
from ..models import AuditAction, Notice, NoticeKind, Setting, VerificationStatus
from .channels import Channel, DeliveryError, configured_channels
from .due import VALUE_FIELDS, days_until_expiry, value_changed
from .wording import compose

EXPIRY_THRESHOLDS = (30, 7, 1)  # days before the expiry date


@dataclass(frozen=True)
class PlannedNotice:
    """A notice that is due: about which setting, of which kind and threshold, for what."""

    setting: Setting
    kind: NoticeKind
    threshold: int
    period: str

    def describe(self) -> str:
        if self.kind == NoticeKind.EXPIRES_SOON:
            return f"{self.setting.key}: expires within {self.threshold} days"
        return f"{self.setting.key}: {self.kind.label.lower()}"


class Outcome(enum.StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Delivery:
    notice: PlannedNotice
    channel: str
    outcome: Outcome
    error: str = ""


@dataclass
class NotifyReport:
    """What a run sent, found already sent, and failed to send (with why)."""

    channels: tuple[str, ...]
    planned: int = 0  # notices due, sent before or not
    deliveries: list[Delivery] = field(default_factory=list)

    def with_outcome(self, outcome: Outcome) -> list[Delivery]:
        return [d for d in self.deliveries if d.outcome == outcome]


# --- which notices are due --------------------------------------------------------------------


def notices_for(setting: Setting, now: datetime) -> list[PlannedNotice]:
    """The notices `setting` is due for at `now` (sent or not)."""
    found = [expiry_notice(setting, now)]
    if setting.verification_status == VerificationStatus.INVALID:
        found.append(invalid_notice(setting))
    return [notice for notice in found if notice is not None]


def expiry_notice(setting: Setting, now: datetime) -> PlannedNotice | None:
    """The tightest expiry threshold reached (a run that missed the 30-day one sends the 7)."""
    days = days_until_expiry(setting, timezone.localdate(now))
    if days is None or setting.expires_at is None or days > max(EXPIRY_THRESHOLDS):
        return None
    period = setting.expires_at.isoformat()
    if days < 0:
        return PlannedNotice(setting, NoticeKind.EXPIRED, 0, period)
    threshold = min(t for t in EXPIRY_THRESHOLDS if days <= t)
    return PlannedNotice(setting, NoticeKind.EXPIRES_SOON, threshold, period)


def invalid_notice(setting: Setting) -> PlannedNotice:
    """The notice for the current value being refused (once per value)."""
    return PlannedNotice(setting, NoticeKind.INVALID, 0, value_changed(setting).isoformat())


def due_notices(now: datetime | None = None) -> list[PlannedNotice]:
    """Every notice due at `now`, by setting key."""
    now = now or timezone.now()
    rows = Setting.objects.defer(*VALUE_FIELDS).order_by("key")
    return [notice for setting in rows for notice in notices_for(setting, now)]


# --- sending ----------------------------------------------------------------------------------


def send_notices(
    notices: Iterable[PlannedNotice],
    *,
    channels: Sequence[Channel] | None = None,
    now: datetime | None = None,
) -> NotifyReport:
    """Send each notice through each channel that has not had it yet."""
    channels = configured_channels() if channels is None else channels
    notices = list(notices)
    report = NotifyReport(tuple(channel.name for channel in channels), len(notices))
    for notice in notices:
        for channel in channels:
            report.deliveries.append(deliver(notice, channel, now or timezone.now()))
    return report


def notify_due(now: datetime | None = None) -> NotifyReport:
    """Send every notice due at `now` that has not been sent (what `check_keys --notify` does)."""
    return send_notices(due_notices(now), now=now)


def deliver(notice: PlannedNotice, channel: Channel, now: datetime) -> Delivery:
    """Claim, send and record one notice through one channel, in one transaction."""
    try:
        with transaction.atomic():
            if not claim(notice, channel.name, now):
                return Delivery(notice, channel.name, Outcome.ALREADY_SENT)
            channel.send(compose(notice.setting, notice.kind, notice.threshold, now=now))
            _record(AuditAction.NOTICE_SENT, notice, channel.name)
    except DeliveryError as error:
        _record(AuditAction.NOTICE_FAILED, notice, channel.name, reason=str(error))
        metrics.record_notice(channel.name, "failed")
        return Delivery(notice, channel.name, Outcome.FAILED, str(error))
    metrics.record_notice(channel.name, "sent")
    return Delivery(notice, channel.name, Outcome.SENT)


def claim(notice: PlannedNotice, channel: str, now: datetime) -> bool:
    """INSERT the notice's row; False when another run has it (or is sending it right now)."""
    try:
        with transaction.atomic():
            Notice.objects.create(
                setting_id=notice.setting.pk,
                kind=notice.kind,
                threshold=notice.threshold,
                period=notice.period,
                channel=channel,
                sent_at=now,
            )
    except IntegrityError:
        return False
    return True


def _record(action: str, notice: PlannedNotice, channel: str, **extra: str) -> None:
    audit.record_as_current_actor(
        action,
        setting_key=notice.setting.key,
        kind=notice.kind.value,
        threshold_days=notice.threshold,
        period=notice.period,
        channel=channel,
        **extra,
    )
