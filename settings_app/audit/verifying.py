"""Verifying the audit trail: walk the chain in sequence order and name the first break.

Whatever was done to the table, verification reports and never raises: a row that cannot be
read or hashed is itself the break. Each kind of edit gets its own sentence: an edited field
or id, a renumbered or deleted row, an inserted or copied row, the newest events cut off.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.db import router

from .chain import GENESIS, hash_matches, head_mac_matches
from .models import AuditChainHead, AuditEvent

_CHUNK = 2000  # events read per query


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: OK, or the first place where it breaks."""

    checked: int
    head_hash: str = GENESIS
    broken_event_id: int | None = None  # None when no event is left to name (cut-off end)
    broken_sequence: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def message(self) -> str:
        if self.ok:
            head = f", head {self.head_hash}" if self.head_hash else ""
            events = "event" if self.checked == 1 else "events"
            return f"Audit trail OK: {self.checked} {events}, chain intact{head}."
        where = f"sequence {self.broken_sequence}"
        if self.broken_event_id is not None:
            where = f"event {self.broken_event_id} ({where})"
        return f"Audit trail BROKEN at {where}: {self.problem}"


@dataclass(frozen=True)
class _Unreadable:
    """A row whose columns no longer convert to an event (e.g. a date that is not a date)."""

    pk: int
    sequence: object
    error: str


def verify_chain(using: str | None = None) -> ChainReport:
    """Walk every event in sequence order and report the first broken link."""
    db = using or router.db_for_read(AuditEvent)
    # Read before the walk: events appended meanwhile come after what it records.
    head = AuditChainHead.objects.using(db).filter(pk=AuditChainHead.ROW_ID).first()
    previous: AuditEvent | None = None
    at_head: AuditEvent | None = None
    checked = 0
    for row in _rows_in_order(db):
        problem = _check_row(row, previous, db)
        if problem:
            return ChainReport(
                checked, broken_event_id=row.pk, broken_sequence=_seq(row), problem=problem
            )
        assert isinstance(row, AuditEvent)  # an unreadable row is always a problem
        previous, checked = row, checked + 1
        if head is not None and row.sequence == head.sequence:
            at_head = row
    return _check_end(previous, at_head, head, checked)


def _seq(row: AuditEvent | _Unreadable) -> int | None:
    return row.sequence if isinstance(row.sequence, int) else None


# --- reading ------------------------------------------------------------------------------


def _rows_in_order(db: str) -> Iterator[AuditEvent | _Unreadable]:
    """Every row by sequence, in pages; ids and sequences first (plain integers that always
    read), then the rows, one by one where a page will not convert."""
    events = AuditEvent.objects.using(db).order_by("sequence")
    after: object = None
    while True:
        page = events if after is None else events.filter(sequence__gt=after)
        keys = list(page.values_list("pk", "sequence")[:_CHUNK])
        if not keys:
            return
        yield from _load(db, keys)
        after = keys[-1][1]


def _load(db: str, keys: Sequence[tuple[int, object]]) -> Iterator[AuditEvent | _Unreadable]:
    try:
        loaded: dict[int, AuditEvent] | None = AuditEvent.objects.using(db).in_bulk(
            [pk for pk, _ in keys]
        )
    except Exception:  # an edited column: find the row below, one at a time
        loaded = None
    for pk, sequence in keys:
        if loaded is not None and pk in loaded:
            yield loaded[pk]
        else:
            yield _load_one(db, pk, sequence)


def _load_one(db: str, pk: int, sequence: object) -> AuditEvent | _Unreadable:
    try:
        return AuditEvent.objects.using(db).get(pk=pk)
    except AuditEvent.DoesNotExist:
        return _Unreadable(pk, sequence, "it vanished while being read")
    except Exception as error:  # verification reports, it never raises
        return _Unreadable(pk, sequence, type(error).__name__)


# --- checking -----------------------------------------------------------------------------


def _check_row(row: AuditEvent | _Unreadable, previous: AuditEvent | None, db: str) -> str:
    if isinstance(row, _Unreadable):
        return f"the row cannot be read ({row.error}): a column was edited to a wrong value."
    expected = 1 if previous is None else previous.sequence + 1
    if row.sequence != expected:
        return _gap(row, previous, expected)
    try:
        intact = hash_matches(row)
    except Exception as error:  # e.g. details edited to hold an infinity
        return (
            f"its contents cannot be hashed ({type(error).__name__}): a field was edited to a "
            "value no event holds."
        )
    if not intact:
        return (
            "its hash does not match its contents: the row (a field, its id or its sequence) "
            "was edited or forged, or written with another SECRET_KEY that is not in "
            "SECRET_KEY_FALLBACKS."
        )
    if previous is not None and row.pk <= previous.pk:
        return (
            f"its id is not above the id {previous.pk} of the event before it: rows were "
            "renumbered."
        )
    if row.previous_hash != (GENESIS if previous is None else previous.hash):
        return _broken_link(row, previous, db)
    return ""


def _gap(row: AuditEvent, previous: AuditEvent | None, expected: int) -> str:
    found = row.sequence
    if not isinstance(found, int) or found < expected:
        return f"its sequence {found!r} does not follow {expected - 1}: the row was edited."
    last_missing = found - 1
    missing = f"sequence {expected}"
    if last_missing > expected:
        missing = f"sequences {expected} to {last_missing}"
    where = "from the start of the trail" if previous is None else f"after event {previous.pk}"
    return f"the events with {missing} are missing {where}: they were deleted or renumbered."


def _broken_link(row: AuditEvent, previous: AuditEvent | None, db: str) -> str:
    before = "the start of the trail" if previous is None else f"event {previous.pk} before it"
    twin = (
        AuditEvent.objects.using(db)
        .filter(previous_hash=row.previous_hash)
        .exclude(pk=row.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if twin is not None:
        return (
            f"its previous_hash does not match {before}, and event {twin} chains to the same "
            "predecessor: the chain was forked by a copied or inserted row."
        )
    return (
        f"its previous_hash does not match {before}: an event between them was deleted or "
        "replaced, or this one was inserted."
    )


def _check_end(
    last: AuditEvent | None, at_head: AuditEvent | None, head: AuditChainHead | None, checked: int
) -> ChainReport:
    """The walk ended intact; the head must be genuine and record an event it met."""
    head_hash = GENESIS if last is None else last.hash
    after_last = 1 if last is None else last.sequence + 1
    problem = _head_problem(head, last)
    if problem:
        return ChainReport(checked, broken_sequence=after_last, problem=problem)
    if head is None or (head.sequence == 0 and last is None):
        return ChainReport(checked, head_hash=head_hash)
    if at_head is None:
        return ChainReport(checked, broken_sequence=after_last, problem=_cut_off(last, head))
    if at_head.hash != head.hash:
        return ChainReport(
            checked,
            broken_event_id=at_head.pk,
            broken_sequence=at_head.sequence,
            problem="it is not the event the chain head records: it was replaced, or the chain "
            "head was edited.",
        )
    return ChainReport(checked, head_hash=head_hash)


def _head_problem(head: AuditChainHead | None, last: AuditEvent | None) -> str:
    """What is wrong with the head row itself: missing, edited or recreated."""
    if head is None:
        if last is None:
            return ""
        return (
            "the chain head is missing while events exist: it was deleted, perhaps with the "
            "newest events."
        )
    if not head_mac_matches(head):
        return (
            "the chain head's HMAC does not match its sequence and hash: it was edited, perhaps "
            "moved back over deleted events, or written with a SECRET_KEY that is not in "
            "SECRET_KEY_FALLBACKS."
        )
    if head.restored:
        return (
            "the chain head was deleted and later recreated from the newest event left: events "
            "after it may have been deleted."
        )
    return ""


def _cut_off(last: AuditEvent | None, head: AuditChainHead) -> str:
    end = "its start" if last is None else f"event {last.pk} (sequence {last.sequence})"
    missing = head.sequence - (0 if last is None else last.sequence)
    events = "event is" if missing == 1 else "events are"
    return (
        f"the trail ends at {end}, but the chain head records sequence {head.sequence}: "
        f"{missing} {events} missing at the end (the newest events were deleted)."
    )
