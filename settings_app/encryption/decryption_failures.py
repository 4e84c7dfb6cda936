"""Settings whose value cannot be decrypted: what each reason is called, what it means, and the
one `decryption_failed` audit event each distinct failure gets.

A failure is distinct per setting, key id and reason since the setting was last written: the
admin list shown ten times records it once, and a value replaced and broken again is recorded
again. Pages and commands call `record_once()` with every setting they show; it costs one query
when some of them are unreadable and none otherwise. Two first views at the same instant may
both record it: a duplicate in an append-only trail is harmless, a missed failure would not be.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .. import audit
from ..audit.models import AuditAction, AuditEvent
from ..crypto import DecryptionError, DecryptionReason
from . import key_advice
from .unreadable import UnreadableValue

if TYPE_CHECKING:
    from ..models import Setting


@dataclass(frozen=True)
class Reason:
    """How people are told about one DecryptionReason: a short label and what it means."""

    reason: DecryptionReason
    label: str
    meaning: str

    @property
    def anchor(self) -> str:
        return self.reason.value

    @property
    def advice(self) -> str:
        return key_advice.DECRYPTION_ADVICE[self.reason]


REASONS: Mapping[DecryptionReason, Reason] = {
    r.reason: r
    for r in (
        Reason(
            DecryptionReason.UNKNOWN_KEY,
            "unknown key id",
            "The value was encrypted under a key id that is not configured: a fallback key "
            "removed before its rows were re-encrypted, or a changed salt.",
        ),
        Reason(
            DecryptionReason.FAILED_AUTHENTICATION,
            "failed authentication",
            "The ciphertext was altered or truncated, copied from another field, or written "
            "under a different key with the same id.",
        ),
        Reason(
            DecryptionReason.NOT_ENCRYPTED,
            "not encrypted",
            "The column holds plaintext (written past keyvault) while "
            f"{key_advice.SUPPORT_UNENCRYPTED_DATA} is off.",
        ),
        Reason(
            DecryptionReason.DAMAGED_HEADER,
            "damaged header",
            "The value looks like a ciphertext, but its header cannot be read.",
        ),
        Reason(
            DecryptionReason.UNSUPPORTED_VERSION,
            "unsupported format version",
            "The ciphertext is in an envelope format this version of keyvault cannot read.",
        ),
        Reason(
            DecryptionReason.WRONG_MODE,
            "wrong encryption mode",
            "A randomized ciphertext in a deterministic field, or the other way round.",
        ),
    )
}


def describe(setting: Setting, error: DecryptionError | UnreadableValue) -> str:
    """`openai_api_key cannot be decrypted (unknown key id)`: no value, no ciphertext."""
    return f"{setting.key} cannot be decrypted ({REASONS[error.reason].label})"


def readable_value(setting: Setting, *, during: str) -> str:
    """The setting's plaintext; DecryptionError (audited once) when it cannot be decrypted."""
    value = setting.value
    if isinstance(value, UnreadableValue):
        record_once([setting], during=during)
        raise value.error
    return str(value)


def record_once(settings: Iterable[Setting], *, during: str) -> int:
    """Audit each failure among `settings` not yet audited since its row was last written.

    Returns how many events were recorded.
    """
    failing = [s for s in settings if isinstance(s.value, UnreadableValue)]
    if not failing:
        return 0
    recorded = _recorded_since([s.key for s in failing])
    written = 0
    for setting in failing:
        value: UnreadableValue = setting.value  # type: ignore[assignment]
        mark = (setting.key, value.key_id or "", value.reason.value)
        if any(moment >= setting.updated_at for moment in recorded[mark]):
            continue
        audit.record_as_current_actor(
            AuditAction.DECRYPTION_FAILED,
            setting_key=setting.key,
            key_id=value.key_id or "",
            reason=value.reason.value,
            during=during,
        )
        written += 1
    return written


def _recorded_since(keys: list[str]) -> defaultdict[tuple[str, str, str], list[datetime]]:
    """(setting key, key id, reason) -> when each was recorded; one query (setting_key is
    indexed)."""
    events = AuditEvent.objects.filter(
        action=AuditAction.DECRYPTION_FAILED, setting_key__in=keys
    ).values_list("setting_key", "details", "created_at")
    recorded: defaultdict[tuple[str, str, str], list[datetime]] = defaultdict(list)
    for key, details, created_at in events:
        if isinstance(details, dict):
            mark = (key, str(details.get("key_id", "")), str(details.get("reason", "")))
            recorded[mark].append(created_at)
    return recorded
