"""One-time fields for the token-creation form, spent atomically in the database.

A new token is shown only in the answer to the form's POST, so a form must make at most one
token. Spending its field is one `UPDATE ... WHERE spent_at IS NULL` whose row count says which
request won: exactly one of any number, in any number of processes (as reveal forms do).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .models import TokenFormTicket

LIFETIME = timedelta(hours=1)  # long enough to fill the form in; an older one is shown again


def issue(user: Any) -> str:
    """A fresh field value for a form shown to `user`; their spent or expired ones are cleared."""
    stale = Q(spent_at__isnull=False) | Q(created_at__lt=_oldest_valid())
    TokenFormTicket.objects.filter(stale, user=user).delete()
    ticket = secrets.token_urlsafe(16)
    TokenFormTicket.objects.create(digest=_digest(ticket), user=user)
    return ticket


def spend(ticket: str, user: Any) -> bool:
    """True for exactly one caller per ticket, whatever the concurrency."""
    if not ticket:
        return False
    unspent = TokenFormTicket.objects.filter(
        digest=_digest(ticket), user=user, spent_at__isnull=True, created_at__gte=_oldest_valid()
    )
    return unspent.update(spent_at=timezone.now()) == 1


def _digest(ticket: str) -> str:
    # A plain hash is enough: the field is 128 random bits, not a password to stretch.
    return hashlib.sha256(ticket.encode()).hexdigest()


def _oldest_valid() -> datetime:
    return timezone.now() - LIFETIME
