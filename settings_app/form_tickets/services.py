"""Issue and spend one-time form tickets, kept in the database.

A form carries a random value; the database keeps only its SHA-256, whom it was shown to, for
which purpose and subject (a setting, an upload) and until when. Spending it is one
`UPDATE ... WHERE spent_at IS NULL` whose row count says which request won: exactly one of any
number of concurrent requests, in any number of processes, on SQLite and PostgreSQL alike. A
session cannot do this (concurrent requests each load their own copy of it), nor can a
per-process cache (gunicorn runs several workers).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .models import SUBJECT_MAX_LENGTH, FormTicket


@dataclass(frozen=True)
class Purpose:
    """What a ticket is for: its name (kept in the row), how long it stays open, and whether a
    new ticket closes its user's earlier ones for the same subject (one open form per subject)."""

    name: str
    lifetime: timedelta
    one_open_per_subject: bool = False


def issue(user: Any, purpose: Purpose, subject: str = "") -> str:
    """A fresh value for a form shown to `user` for `purpose` and `subject`. Spent and expired
    tickets (anyone's) are deleted on the way, so the table holds only open forms."""
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ValueError(f"A ticket's subject is at most {SUBJECT_MAX_LENGTH} characters.")
    now = timezone.now()
    stale = _stale(now)
    if purpose.one_open_per_subject:
        stale |= Q(user=user, purpose=purpose.name, subject=subject)
    FormTicket.objects.filter(stale).delete()
    value = secrets.token_urlsafe(16)
    FormTicket.objects.create(
        digest=_digest(value),
        user=user,
        purpose=purpose.name,
        subject=subject,
        created_at=now,
        expires_at=now + purpose.lifetime,
    )
    return value


def is_open(value: str, user: Any, purpose: Purpose, subject: str = "") -> bool:
    """Whether `value` could still be spent: a cheap check before slow work (a password hash)."""
    return bool(value) and _open(value, user, purpose, subject).exists()


def spend(value: str, user: Any, purpose: Purpose, subject: str = "") -> bool:
    """True for exactly one caller per ticket, whatever the concurrency; False for a value that
    is spent, expired, or was issued to another user, purpose or subject. Call it inside the
    transaction that records what the ticket was spent on, so both commit or neither does."""
    if not value:
        return False
    return _open(value, user, purpose, subject).update(spent_at=timezone.now()) == 1


def _open(value: str, user: Any, purpose: Purpose, subject: str) -> models.QuerySet[FormTicket]:
    return FormTicket.objects.filter(
        digest=_digest(value),
        user=user,
        purpose=purpose.name,
        subject=subject,
        spent_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def _stale(now: datetime) -> Q:
    return Q(spent_at__isnull=False) | Q(expires_at__lte=now)


def _digest(value: str) -> str:
    # A plain hash is enough: the value is 128 random bits, not a password to stretch.
    return hashlib.sha256(value.encode()).hexdigest()
