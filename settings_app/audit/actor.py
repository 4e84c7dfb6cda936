"""Who is acting: `acting()` attributes the events recorded inside it, ORM saves included.

The admin middleware, the management commands' base class and plain code all go through it,
so the signal receivers can record an event without being told who caused the save.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from .chain import append_many
from .models import AuditEvent, AuditSource
from .recording import new_event, record


@dataclass(frozen=True)
class Actor:
    """Who causes the events recorded while `acting()` is in force, and through what."""

    source: str = AuditSource.CODE
    user: AbstractBaseUser | None = None
    label: str = ""
    request: HttpRequest | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


_NOBODY = Actor()  # plain code: no user, source "code"
_current_actor: ContextVar[Actor | None] = ContextVar("keyvault_audit_actor", default=None)


@contextmanager
def acting(
    source: str,
    *,
    user: AbstractBaseUser | None = None,
    label: str = "",
    request: HttpRequest | None = None,
    **details: Any,
) -> Iterator[Actor]:
    """Attribute the events recorded inside (ORM saves included) to this actor and source."""
    actor = Actor(source, user, label, request, details)
    token = _current_actor.set(actor)
    try:
        yield actor
    finally:
        _current_actor.reset(token)


def current_actor() -> Actor:
    """Who `acting()` says is acting now (plain code, when nobody says)."""
    return _current_actor.get() or _NOBODY


def record_as_current_actor(action: str, *, setting_key: str = "", **details: Any) -> AuditEvent:
    """Record an event for whoever `acting()` says is acting (code, when nobody says)."""
    actor = _current_actor.get() or _NOBODY
    return record(
        action, setting_key=setting_key, **_attribution(actor), **{**actor.details, **details}
    )


def record_each_as_current_actor(
    action: str, entries: Sequence[tuple[str, Mapping[str, Any]]]
) -> list[AuditEvent]:
    """One event per (setting key, details), for whoever is acting, appended in one write."""
    actor = _current_actor.get() or _NOBODY
    events = [
        new_event(action, setting_key=key, **_attribution(actor), **{**actor.details, **details})
        for key, details in entries
    ]
    append_many(events)
    return events


def _attribution(actor: Actor) -> dict[str, Any]:
    return {
        "actor": actor.user,
        "actor_label": actor.label,
        "source": actor.source,
        "request": actor.request,
    }
