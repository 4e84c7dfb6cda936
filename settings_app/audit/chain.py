"""The audit trail's HMAC chain: link each new event to the newest one, and verify the links.

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

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connections, router, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import AuditEvent

FORMAT_VERSION = 1
# Part of every stored hash: it keeps the name of the module that first defined the chain.
_HMAC_SALT = "settings_app.audit.AuditEvent.hash"
GENESIS = ""  # previous_hash of the first event


# --- appending ------------------------------------------------------------------------------


def append(event: AuditEvent) -> None:
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
