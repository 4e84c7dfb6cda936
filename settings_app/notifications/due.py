"""Which keys need attention, and why: expiry, rotation age, failed or stale verification.

A service over settings and a moment (`now`, default `timezone.now()`, so tests pass the time
they want). It never decrypts a value: rows are read with the value deferred, so a key whose
value cannot be decrypted is still reported when it is due.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from ..models import Setting, VerificationStatus
from ..providers import get_provider
from .policy import Policy

DEFAULT_WITHIN_DAYS = 30
# Deferred: deciding what is due never needs (or decrypts) the value.
VALUE_FIELDS = ("value", "value_fingerprint")


class Reason(enum.StrEnum):
    EXPIRED = "expired"
    EXPIRING = "expiring"
    ROTATION_DUE = "rotation_due"
    VERIFICATION_FAILED = "verification_failed"
    NEVER_VERIFIED = "never_verified"
    VERIFICATION_STALE = "verification_stale"


@dataclass(frozen=True)
class DueReason:
    """Why a key is due (`message`) and what to do about it (`action`); never a value."""

    code: Reason
    message: str
    action: str

    def __str__(self) -> str:
        return f"{self.message}: {self.action}"


@dataclass(frozen=True)
class DueSetting:
    """A setting (its value deferred) and every reason it is due, most urgent first."""

    setting: Setting
    reasons: tuple[DueReason, ...]

    @property
    def key(self) -> str:
        return self.setting.key

    @property
    def codes(self) -> tuple[Reason, ...]:
        return tuple(reason.code for reason in self.reasons)


def due_settings(
    *,
    within_days: int = DEFAULT_WITHIN_DAYS,
    now: datetime | None = None,
    policy: Policy | None = None,
    queryset: QuerySet[Setting] | None = None,
) -> list[DueSetting]:
    """Every setting that is due now (or expires within `within_days`), by key."""
    now = now or timezone.now()
    policy = policy or Policy.current()
    rows = (Setting.objects.all() if queryset is None else queryset).defer(*VALUE_FIELDS)
    found = (
        DueSetting(
            setting, tuple(reasons_for(setting, now=now, within_days=within_days, policy=policy))
        )
        for setting in rows.order_by("key")
    )
    return [due for due in found if due.reasons]


def reasons_for(
    setting: Setting, *, now: datetime, within_days: int, policy: Policy
) -> list[DueReason]:
    """Why `setting` is due at `now`; an empty list when it is not."""
    today = timezone.localdate(now)
    candidates: Iterable[DueReason | None] = (
        expiry_reason(setting, today, within_days),
        verification_reason(setting, now, policy),
        rotation_reason(setting, now, policy),
    )
    return [reason for reason in candidates if reason is not None]


# --- expiry -----------------------------------------------------------------------------------


def days_until_expiry(setting: Setting, today: date) -> int | None:
    """Days from `today` to the expiry date (negative once expired), or None without one."""
    return None if setting.expires_at is None else (setting.expires_at - today).days


def expiry_reason(setting: Setting, today: date, within_days: int) -> DueReason | None:
    days = days_until_expiry(setting, today)
    if days is None or days > within_days:
        return None
    shown = setting.expires_at.isoformat() if setting.expires_at else ""
    if days < 0:  # as Setting.is_expired: the key works through its expiry date
        return DueReason(
            Reason.EXPIRED,
            f"expired on {shown} ({count_days(-days)} ago)",
            "create a new key at the provider, replace this one and set its new expiry date",
        )
    return DueReason(
        Reason.EXPIRING,
        f"expires {in_days(days)} ({shown})",
        "create a new key at the provider and replace this one before then",
    )


# --- rotation ---------------------------------------------------------------------------------


def value_changed(setting: Setting) -> datetime:
    """When the value last changed (its creation, for a row that predates the record)."""
    return setting.value_changed_at or setting.created_at


def key_age(setting: Setting, now: datetime | None = None) -> timedelta:
    """How long the current value has been in use."""
    return (now or timezone.now()) - value_changed(setting)


def next_rotation(setting: Setting, policy: Policy | None = None) -> datetime | None:
    """When the current value is due for replacement, or None when no policy applies."""
    days = (policy or Policy.current()).rotation_days(setting)
    return None if days is None else value_changed(setting) + timedelta(days=days)


def rotation_reason(setting: Setting, now: datetime, policy: Policy) -> DueReason | None:
    due = next_rotation(setting, policy)
    if due is None or now < due:
        return None
    days = policy.rotation_days(setting)
    return DueReason(
        Reason.ROTATION_DUE,
        f"is {count_days(key_age(setting, now).days)} old; it is rotated every "
        f"{count_days(days or 0)}",
        "create a new key at the provider, replace this one, then revoke the old key",
    )


# --- verification -----------------------------------------------------------------------------

_FAILED: dict[str, tuple[str, str]] = {
    VerificationStatus.INVALID: (
        "was refused by the provider when last verified",
        "replace it with a working key",
    ),
    VerificationStatus.NO_QUOTA: (
        "had no quota or credit left when last verified",
        "top up the account at the provider, or replace the key",
    ),
}


def verification_reason(setting: Setting, now: datetime, policy: Policy) -> DueReason | None:
    failed = _FAILED.get(setting.verification_status)
    if failed is not None:
        message, action = failed
        when = timezone.localdate(setting.last_verified_at) if setting.last_verified_at else None
        message = f"{message} ({when.isoformat()})" if when else message
        return DueReason(Reason.VERIFICATION_FAILED, message, f"{action}, then verify it")
    return staleness_reason(setting, now, policy)


def staleness_reason(setting: Setting, now: datetime, policy: Policy) -> DueReason | None:
    """Only when KEYVAULT_VERIFY_MAX_AGE_DAYS is set, and only for keys a provider can check."""
    limit = policy.verify_max_age_days
    if not limit or get_provider(setting.provider) is None:
        return None
    verify = f"verify it (manage.py verify_settings --stale {limit}d, or Verify key in the admin)"
    if setting.last_verified_at is None:
        return DueReason(Reason.NEVER_VERIFIED, "was never verified", verify)
    age = now - setting.last_verified_at
    if age <= timedelta(days=limit):
        return None
    return DueReason(
        Reason.VERIFICATION_STALE,
        f"was last verified {count_days(age.days)} ago (more than {count_days(limit)})",
        verify,
    )


# --- wording ----------------------------------------------------------------------------------


def count_days(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def in_days(days: int) -> str:
    if days == 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"
