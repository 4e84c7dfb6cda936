"""One-time reveal tokens, kept in the database: one confirmation reveals a value exactly once.

The reveal form carries a random token; the database keeps only its SHA-256, whom it was shown
to, for which setting and when. Spending it is one `UPDATE ... WHERE spent_at IS NULL` whose row
count says which request won: exactly one of any number of concurrent requests, in any number
of processes, on SQLite and PostgreSQL alike. A session cannot do this (concurrent requests each
load their own copy of it), nor can a per-process cache (gunicorn runs several workers).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .models import RevealToken

# Long enough to type a password and a reason; a form left open longer is shown again.
LIFETIME = timedelta(minutes=15)


def issue(user: Any, setting: Any) -> str:
    """A fresh token for the form shown to `user` for `setting`; their earlier ones for it stop
    working (as one form per setting did), and their spent or expired ones are cleared."""
    stale = Q(setting=setting) | Q(spent_at__isnull=False) | Q(created_at__lt=_oldest_valid())
    RevealToken.objects.filter(stale, user=user).delete()
    token = secrets.token_urlsafe(16)
    RevealToken.objects.create(digest=_digest(token), user=user, setting=setting)
    return token


def is_open(token: str, user: Any, setting: Any) -> bool:
    """Whether `token` could still be spent: a cheap check before the password is hashed."""
    return _open(token, user, setting).exists()


def spend(token: str, user: Any, setting: Any) -> bool:
    """True for exactly one caller per token, whatever the concurrency. Call it inside the
    transaction that records what the token was spent on, so both commit or neither does."""
    return _open(token, user, setting).update(spent_at=timezone.now()) == 1


def _open(token: str, user: Any, setting: Any) -> models.QuerySet[RevealToken]:
    return RevealToken.objects.filter(
        digest=_digest(token),
        user=user,
        setting=setting,
        spent_at__isnull=True,
        created_at__gte=_oldest_valid(),
    )


def _digest(token: str) -> str:
    # A plain hash is enough: the token is 128 random bits, not a password to stretch.
    return hashlib.sha256(token.encode()).hexdigest()


def _oldest_valid() -> datetime:
    return timezone.now() - LIFETIME
