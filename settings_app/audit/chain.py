"""The audit trail's HMAC chain: link each new event to the newest one, in an explicit sequence.

Each event's `hash` is an HMAC-SHA256, under a key derived from SECRET_KEY, of a canonical JSON
of its fields and of the previous event's hash. A plain SHA-256 chain detects an edited row only
until the attacker recomputes the hashes that follow, which anyone with write access to the
database can do; the HMAC also defeats that attacker, because SECRET_KEY is not in the database.
The price: verifying needs the SECRET_KEY that wrote the event, so a rotated key must stay in
SECRET_KEY_FALLBACKS for as long as its events are to be verified.

Writers take their place from the one-row chain head (AuditChainHead) under its lock, never
from the events table: whatever was done to the table (renumbered, edited, deleted rows), new
events are still written, and chained where the previous write ended, so a break stays visible.
The head has its own HMAC (`head_mac`), so it cannot be moved back over deleted events without
SECRET_KEY, and each write logs it on the `keyvault.audit` logger for an outside witness: only
someone holding SECRET_KEY and write access can rewrite what the log store does not also hold.
`verifying.py` walks the chain.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.db import DatabaseError, models, router, transaction
from django.db.models import Max
from django.utils.crypto import constant_time_compare, salted_hmac

from .. import metrics
from ..counters.relaxed_commit import require_durable
from .models import AuditChainHead, AuditEvent

# 2: the payload also covers the event's id and sequence (1: events written before that).
FORMAT_VERSION = 2
# Part of every stored hash: it keeps the name of the module that first defined the chain.
_HMAC_SALT = "settings_app.audit.AuditEvent.hash"
_HEAD_SALT = "settings_app.audit.AuditChainHead.mac"
GENESIS = ""  # previous_hash of the first event
witness = logging.getLogger("keyvault.audit")


# --- appending ------------------------------------------------------------------------------


def append(event: AuditEvent) -> None:
    """Chain `event` to the newest event and insert it, one writer at a time."""
    append_many([event])


def append_many(events: Sequence[AuditEvent]) -> None:
    """Chain `events`, in order, after the newest event and insert them in one statement."""
    if not events:
        return
    using = router.db_for_write(AuditEvent)
    require_durable(using)  # an event is never committed without waiting for the disk
    try:
        _append_many(events, using)
    except DatabaseError:
        metrics.record_audit_write_failure()  # the caller's change fails with it: alert on it
        raise


def _append_many(events: Sequence[AuditEvent], using: str) -> None:
    with transaction.atomic(using=using):
        head = _locked_head(using)
        # Above anything in the table too: a row renumbered or forged into the places ahead
        # must not make every later write fail on a unique key.
        sequence = max(head.sequence, _largest(using, "sequence"))
        next_id = _largest(using, "id")
        previous_hash = head.hash
        for event in events:
            sequence, next_id = sequence + 1, next_id + 1
            event.pk, event.sequence, event.chain_format = next_id, sequence, FORMAT_VERSION
            event.previous_hash = previous_hash
            event.hash = previous_hash = compute_hash(event)
        # AuditEvent's own manager refuses bulk writes; this is the one place that may insert.
        models.QuerySet[AuditEvent](AuditEvent, using=using).bulk_create(events)
        head.sequence, head.hash = sequence, previous_hash
        head.mac = head_mac(head)
        head.save(using=using, update_fields=["sequence", "hash", "mac"])
        transaction.on_commit(partial(_log_head, sequence, previous_hash), using=using)


def _log_head(sequence: int, hash_: str) -> None:
    """Tell the log store the new head: a copy the database's writers cannot reach."""
    extra = {"sequence": sequence, "hash": hash_}
    witness.info("audit chain head sequence=%d hash=%s", sequence, hash_, extra=extra)


def _locked_head(using: str) -> AuditChainHead:
    """The chain head, locked until commit; recreated from the newest event if it is missing
    (a flushed or tampered database). On SQLite the settings begin every transaction
    IMMEDIATE, which takes the database's write lock up front: the same serialization."""
    heads = AuditChainHead.objects.using(using).select_for_update()
    head = heads.filter(pk=AuditChainHead.ROW_ID).first()
    if head is not None:
        return head
    newest = AuditEvent.objects.using(using).order_by("-sequence").only("sequence", "hash")
    last = newest.first()
    seed: dict[str, object] = {"sequence": 0, "hash": GENESIS}
    if last is not None:  # the head was deleted: what it recorded is lost, and that shows
        seed = {"sequence": last.sequence, "hash": last.hash, "restored": True}
    # get_or_create: a concurrent writer may be seeding it too; one insert wins, both lock it.
    AuditChainHead.objects.using(using).get_or_create(pk=AuditChainHead.ROW_ID, defaults=seed)
    return heads.get(pk=AuditChainHead.ROW_ID)


def _largest(using: str, column: str) -> int:
    found = AuditEvent.objects.using(using).aggregate(largest=Max(column))["largest"]
    return int(found or 0)


# --- hashing --------------------------------------------------------------------------------


def canonical_payload(event: AuditEvent) -> bytes:
    """The bytes an event's hash covers: every field but actor (a nullable link) and hash.

    Events of format 1 (written before the sequence existed) do not cover id and sequence;
    verification then checks their order by the ids and the links alone.
    """
    fields = {
        "v": event.chain_format,
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
    if event.chain_format != 1:
        fields.update(id=event.pk, sequence=event.sequence)
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("ascii")  # json.dumps escapes non-ASCII by default


def compute_hash(event: AuditEvent, secret: str | bytes | None = None) -> str:
    """The event's chain hash under `secret` (default SECRET_KEY)."""
    return salted_hmac(
        _HMAC_SALT, canonical_payload(event), secret=secret, algorithm="sha256"
    ).hexdigest()


def head_mac(head: AuditChainHead, secret: str | bytes | None = None) -> str:
    """The HMAC of the head's sequence, hash and restored flag under `secret` (SECRET_KEY)."""
    fields = {"sequence": head.sequence, "hash": head.hash, "restored": head.restored}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return salted_hmac(_HEAD_SALT, text, secret=secret, algorithm="sha256").hexdigest()


def head_mac_matches(head: AuditChainHead) -> bool:
    """Whether the head's MAC is right under a current or old SECRET_KEY."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any([constant_time_compare(head_mac(head, s), head.mac) for s in secrets])


def hash_matches(event: AuditEvent) -> bool:
    """Whether the event's hash is the HMAC of its contents under a current or old SECRET_KEY."""
    if event.chain_format not in (1, FORMAT_VERSION):
        return False
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    # Constant-time, and every key tried: the comparison must not leak which key matched.
    matches = [constant_time_compare(compute_hash(event, s), event.hash) for s in secrets]
    return any(matches)
