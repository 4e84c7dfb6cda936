"""What a notice says: the key's name, provider and mask, why it is due and what to do.

Never a value: the only trace of the key is `masking.mask()`, as on the Provider keys page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from ..credentials.masks import value_mask
from ..crypto import DecryptionError
from ..encryption.unreadable import require_readable
from ..models import NoticeKind, Setting
from ..providers import get_provider
from . import due
from .policy import Policy

SUBJECT_PREFIX = "[keyvault] "
UNREADABLE_MASK = "(value cannot be decrypted)"


@dataclass(frozen=True)
class NoticeMessage:
    """A notice as sent: an e-mail subject and body, and the webhook's JSON payload."""

    subject: str
    text: str
    payload: dict[str, Any]


def masked_value(setting: Setting) -> str:
    """The setting's mask, read fresh (the due service defers values); never the value."""
    try:
        stored = Setting.objects.filter(pk=setting.pk).values_list("value", flat=True).first()
        return value_mask(require_readable(stored) or "", setting.provider)
    except DecryptionError:
        return UNREADABLE_MASK


def provider_name(setting: Setting) -> str:
    found = get_provider(setting.provider)
    return found.name if found is not None else setting.provider


def notice_reason(setting: Setting, kind: str, threshold: int, now: datetime) -> due.DueReason:
    """The reason behind a notice, worded as `check_keys` words it."""
    if kind == NoticeKind.INVALID:
        reason = due.verification_reason(setting, now, Policy())
    else:
        reason = due.expiry_reason(setting, timezone.localdate(now), within_days=threshold)
    if reason is None:
        raise ValueError(f"{setting.key} is not due for a {kind!r} notice.")
    return reason


def compose(setting: Setting, kind: str, threshold: int, *, now: datetime) -> NoticeMessage:
    """The notice about `setting`; its text names the mask, never the value."""
    reason = notice_reason(setting, kind, threshold, now)
    masked = masked_value(setting)
    about = f"{setting.key} ({provider_name(setting)}, {masked})"
    headline = f"{setting.key} {reason.message}"
    text = f"{about} {reason.message}.\nWhat to do: {reason.action}.\n"
    payload = {
        "text": f"keyvault: {headline}. What to do: {reason.action}.",
        "keyvault": {
            "setting": setting.key,
            "provider": setting.provider,
            "mask": masked,
            "kind": kind,
            "threshold_days": threshold,
            "expires_at": setting.expires_at.isoformat() if setting.expires_at else None,
            "reason": reason.code.value,
            "sent_at": now.isoformat(),
        },
    }
    return NoticeMessage(SUBJECT_PREFIX + headline, text, payload)
