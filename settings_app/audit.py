"""The audit trail service: record events into an HMAC chain, and verify the chain.

Each event's `hash` is an HMAC-SHA256, under a key derived from SECRET_KEY, of a canonical JSON
of its fields and of the previous event's hash. A plain SHA-256 chain detects an edited row only
until the attacker recomputes the hashes that follow, which anyone with write access to the
database can do; the HMAC also defeats that attacker, because SECRET_KEY is not in the database.
The price: verifying needs the SECRET_KEY that wrote the event, so a rotated key must stay in
SECRET_KEY_FALLBACKS for as long as its events are to be verified.

What a chain cannot show is the loss of its newest events; note the head hash that
`manage.py verify_audit` prints somewhere else if that matters.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac

from .log_filters import redact
from .models import AuditAction, AuditEvent, AuditSource

FORMAT_VERSION = 1
_HMAC_SALT = "settings_app.audit.AuditEvent.hash"
GENESIS = ""  # previous_hash of the first event
MAX_DETAIL_LENGTH = 500
USER_AGENT_LENGTH = 255
# Details describe an event; these keys would invite storing the secret itself.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {"value", "plaintext", "ciphertext", "secret", "password", "api_key", "token"}
)

DetailValue = str | int | float | bool | None


# --- who is acting ---------------------------------------------------------------------------


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
        action,
        setting_key=setting_key,
        actor=actor.user,
        actor_label=actor.label,
        source=actor.source,
        request=actor.request,
        **{**actor.details, **details},
    )


# --- recording ------------------------------------------------------------------------------


def record(
    action: str,
    *,
    setting_key: str = "",
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    source: str = AuditSource.CODE,
    request: HttpRequest | None = None,
    **details: DetailValue | list[DetailValue],
) -> AuditEvent:
    """Append one event to the trail and return it.

    `details` are short strings and numbers (or lists of them) that explain the event; a
    'value' key is refused and anything that looks like a secret is masked.
    """
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}; use an AuditAction.")
    user = getattr(request, "user", None)  # absent when no AuthenticationMiddleware ran
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    event = AuditEvent(
        action=action,
        setting_key=setting_key,
        actor_id=None if actor is None else actor.pk,
        actor_label=actor_label or (actor.get_username() if actor is not None else ""),
        source=source,
        ip=client_ip(request),
        user_agent=_user_agent(request),
        details=clean_details(details),
    )
    _append(event)
    return event


def _append(event: AuditEvent) -> None:
    """Chain `event` to the newest event and insert it, one writer at a time."""
    using = router.db_for_write(AuditEvent)
    with transaction.atomic(using=using):
        _lock_chain(using)
        newest = AuditEvent.objects.using(using).order_by("-id").only("hash").first()
        event.previous_hash = GENESIS if newest is None else newest.hash
        event.hash = compute_hash(event)
        event.save(using=using, force_insert=True)


def _lock_chain(using: str) -> None:
    """Serialize writers until commit. SELECT ... FOR UPDATE on the newest row is not enough
    (a waiting writer gets the row it first saw, not the one inserted meanwhile), so lock the
    table; on SQLite the settings begin every transaction IMMEDIATE, which takes the write
    lock up front. The unique previous_hash is the backstop."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def clean_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details fit for the trail: short scalars (or lists of them), secrets masked."""
    cleaned: dict[str, Any] = {}
    for key, value in details.items():
        if key.lower() in FORBIDDEN_DETAIL_KEYS:
            raise ValueError(f"Audit details must never hold a {key!r}: describe, don't copy.")
        if isinstance(value, list | tuple):
            cleaned[key] = [_clean_scalar(key, item) for item in value]
        else:
            cleaned[key] = _clean_scalar(key, value)
    return cleaned


def _clean_scalar(key: str, value: Any) -> DetailValue:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str):
        return redact(value)[:MAX_DETAIL_LENGTH]
    raise TypeError(
        f"Audit detail {key!r} must be a string or a number, not {type(value).__name__}."
    )


def client_ip(request: HttpRequest | None) -> str:
    """REMOTE_ADDR, normalised; proxies' X-Forwarded-For is not trusted."""
    raw = "" if request is None else request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return ""


def _user_agent(request: HttpRequest | None) -> str:
    raw = "" if request is None else str(request.META.get("HTTP_USER_AGENT", ""))
    return redact(raw)[:USER_AGENT_LENGTH]


# --- hashing --------------------------------------------------------------------------------


def canonical_payload(event: AuditEvent) -> bytes:
    """The bytes an event's hash covers: every field but id, actor (a nullable link) and hash."""
    fields = {
        "v": FORMAT_VERSION,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_label": event.actor_label,
        "action": event.action,
        "setting_key": event.setting_key,
        "source": event.source,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "details": event.details,
        "previous_hash": event.previous_hash,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("ascii")  # json.dumps escapes non-ASCII by default


def compute_hash(event: AuditEvent, secret: str | bytes | None = None) -> str:
    """The event's chain hash under `secret` (default SECRET_KEY)."""
    return salted_hmac(
        _HMAC_SALT, canonical_payload(event), secret=secret, algorithm="sha256"
    ).hexdigest()


def _hash_matches(event: AuditEvent) -> bool:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    # Constant-time, and every key tried: the comparison must not leak which key matched.
    matches = [constant_time_compare(compute_hash(event, s), event.hash) for s in secrets]
    return any(matches)


# --- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: OK, or the first event where it breaks."""

    checked: int
    head_hash: str = GENESIS
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None

    @property
    def message(self) -> str:
        if self.ok:
            head = f", head {self.head_hash}" if self.head_hash else ""
            events = "event" if self.checked == 1 else "events"
            return f"Audit trail OK: {self.checked} {events}, chain intact{head}."
        return f"Audit trail BROKEN at event {self.broken_event_id}: {self.problem}"


def verify_chain(using: str | None = None) -> ChainReport:
    """Walk every event in insertion order and report the first broken link."""
    previous: AuditEvent | None = None
    checked = 0
    for event in _events_in_order(using):
        problem = _check_link(event, previous)
        if problem:
            return ChainReport(checked=checked, broken_event_id=event.pk, problem=problem)
        previous, checked = event, checked + 1
    return ChainReport(checked=checked, head_hash=GENESIS if previous is None else previous.hash)


def _events_in_order(using: str | None) -> Iterator[AuditEvent]:
    db = using or router.db_for_read(AuditEvent)
    return AuditEvent.objects.using(db).order_by("id").iterator(chunk_size=2000)


def _check_link(event: AuditEvent, previous: AuditEvent | None) -> str:
    if not _hash_matches(event):
        return (
            "its hash does not match its contents: the row was edited (or written with "
            "another SECRET_KEY that is not in SECRET_KEY_FALLBACKS)."
        )
    expected = GENESIS if previous is None else previous.hash
    if event.previous_hash != expected:
        after = "the start of the trail" if previous is None else f"event {previous.pk}"
        return (
            f"its previous_hash does not match {after}: events between them were deleted "
            "or the trail was reordered."
        )
    return ""
