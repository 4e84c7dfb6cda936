"""Coalesced audit events: a busy caller repeating one action leaves a few events, not thousands.

Events are keyed by (action, subject) and grouped in fixed windows (a minute by default). The
first event of a window is recorded at once, as usual; repeats in the same window only raise a
counter. When a later window of that key opens (or `flush_due()` runs, e.g. from
`manage.py flush_audit_windows`), one summary event is appended with `repeats=N`. The trail is
append-only and hash-chained, so nothing already written is ever edited.

Counters live in a small table, one row per open window, changed with `UPDATE ... SET repeats =
repeats + 1` and flushed under a row lock, so every gunicorn worker and host shares them and no
repeat is counted twice or lost. A repeat that arrives after its window was flushed is recorded
as an event of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connections, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from ..counters.relaxed_commit import relaxed_commit
from . import repeat_counts
from .models import CoalescedWindow

DEFAULT_WINDOW = timedelta(minutes=1)
FLUSH_BATCH = 200  # due windows summarised per opportunistic flush
SEEN_LIMIT = 10_000  # windows remembered per process (tokens x keys read in one window)

# (action, subject) -> end of the window this process last saw open (opened or counted in).
# A hint only: it lets a caller choose a relaxed commit for what will most likely be a repeat.
_seen_open: dict[tuple[str, str], datetime] = {}


def seen_open(action: str, subject: str) -> bool:
    """Whether this process saw the current window of (action, subject) open: recording it is
    then, almost surely, a repeat (a count) rather than an event."""
    end = _seen_open.get((action, subject))
    return end is not None and timezone.now() < end


def forget_seen() -> None:
    """Forget every window seen open (tests: a new database reuses token ids)."""
    _seen_open.clear()


def repeat_count_key(action: str, subject: str, now: datetime) -> str:
    """The cache key counting repeats of the window open at `now` (repeat counts in Redis).

    For a caller that counts a repeat itself, in one round trip with its own counters: it
    calls `counted_repeat` when the count was raised, and `record_coalesced` when the window
    was not open (that records the event)."""
    return repeat_counts.key(action, subject, _window_start(now, DEFAULT_WINDOW))


def counted_repeat(action: str, subject: str, now: datetime) -> None:
    """A repeat counted by the caller at `repeat_count_key`: its window is open."""
    _remember_open(action, subject, _window_start(now, DEFAULT_WINDOW) + DEFAULT_WINDOW)


def _remember_open(action: str, subject: str, end: datetime) -> None:
    if len(_seen_open) >= SEEN_LIMIT:
        _seen_open.clear()  # a hint: forgetting costs one durable commit per window
    _seen_open[(action, subject)] = end


def record_coalesced(
    action: str,
    subject: str,
    *,
    request: HttpRequest | None = None,
    window: timedelta = DEFAULT_WINDOW,
    setting_key: str = "",
    actor_label: str = "",
    source: str = "code",
    flush: bool = True,
    **details: Any,
) -> bool:
    """Record `action` on `subject` now if it is the first in its window, else count it.

    True when an event was written now. The arguments are those of `audit.record()`. A caller
    inside its own transaction passes `flush=False` and calls `flush_due()` after its commit
    (flushing while holding the trail's lock could deadlock with another flush).
    """
    from .. import audit

    now = timezone.now()
    start = _window_start(now, window)
    if _repeat(action, subject, start, now):  # the common case: one counter, no fsync wait
        _remember_open(action, subject, start + window)
        return False
    event = {
        "setting_key": setting_key,
        "actor_label": actor_label,
        "source": source,
        "details": audit.clean_details(details),
    }
    with transaction.atomic(using=_db()):  # an event: fully durable
        opened = _open_window(action, subject, start, start + window, now, event)
        if opened and repeat_counts.in_cache():
            repeat_counts.open_count(action, subject, start, window)
        if not opened and _repeat(action, subject, start, now):
            _remember_open(action, subject, start + window)
            return False  # another worker opened the window meanwhile
        # Opened, or arrived after its window was flushed: either way recorded now.
        if opened:
            _flush(_due(now).filter(action=action, subject=subject))
        audit.record(action, request=request, **_event_arguments(event))
    if opened:
        _remember_open(action, subject, start + window)
    if opened and flush:
        flush_due(now)  # other keys' finished windows, so summaries never wait for long
    return True


def flush_due(now: datetime | None = None, limit: int | None = FLUSH_BATCH) -> int:
    """Close every finished window (the oldest `limit`, or all) and append the summaries of
    those that counted repeats; the number of summaries written.

    One transaction per window: a flush never holds one window's lock while waiting for the
    audit trail's, so it cannot deadlock with a request recording an event.
    """
    due = _due(now or timezone.now()).order_by("window_end")
    summarised = 0
    for window in list(due if limit is None else due[:limit]):
        with transaction.atomic(using=_db()):
            summarised += _flush([window])
    return summarised


def _db() -> str:
    from django.db import router

    return router.db_for_write(CoalescedWindow)


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = window.total_seconds()
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def _due(now: datetime) -> models.QuerySet[CoalescedWindow]:
    return CoalescedWindow.objects.using(_db()).filter(window_end__lte=now)


def _repeat(action: str, subject: str, start: datetime, now: datetime) -> bool:
    """Count a repeat in the open window (Redis, or its row); False when none is open."""
    if repeat_counts.in_cache():
        return repeat_counts.count(action, subject, start)
    with relaxed_commit(_db()):
        return _count_repeat(action, subject, start, now)


def _count_repeat(action: str, subject: str, start: datetime, now: datetime) -> bool:
    """Add one to the open window's repeats; False when there is no such window.

    Plain SQL: this runs on every repeated event (each API read), where building the ORM
    query would cost more than executing it.
    """
    connection = connections[_db()]
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    table = quote(CoalescedWindow._meta.db_table)
    repeats, last_at = quote("repeats"), quote("last_at")
    where = " AND ".join(f"{quote(name)} = %s" for name in ("action", "subject", "window_start"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {repeats} = {repeats} + 1, {last_at} = %s WHERE {where}",  # noqa: S608
            [adapt(now), action, subject, adapt(start)],
        )
        return bool(cursor.rowcount)


def _open_window(
    action: str, subject: str, start: datetime, end: datetime, now: datetime, event: dict[str, Any]
) -> bool:
    """Insert the window's row; False when it exists (opened by another worker, or flushed)."""
    try:
        with transaction.atomic(using=_db()):
            CoalescedWindow.objects.using(_db()).create(
                action=action,
                subject=subject,
                window_start=start,
                window_end=end,
                last_at=now,
                event=event,
            )
    except IntegrityError:
        return False
    return True


def _flush(windows: Iterable[CoalescedWindow]) -> int:
    """Delete each window under a row lock and append its summary if it counted repeats.

    Deleting under the lock is the claim: a concurrent flush of the same window finds no row,
    and a concurrent repeat waits, finds no row, and records itself (never counted twice).
    """
    from .. import audit

    pks = [window.pk for window in windows]
    rows = CoalescedWindow.objects.using(_db()).filter(pk__in=pks)
    # Every lock is taken before the first audit write, which locks the trail until commit:
    # waiting for a window while holding the trail could deadlock with another flush.
    locked = list(rows.select_for_update().order_by("pk"))  # rows flushed meanwhile are gone
    rows.filter(pk__in=[window.pk for window in locked]).delete()
    summarised = 0
    for window in locked:
        if repeat_counts.in_cache():
            window.repeats += repeat_counts.take(window.action, window.subject, window.window_start)
        if window.repeats:
            arguments = _event_arguments(window.event)
            arguments.update(
                repeats=window.repeats,
                window_start=window.window_start.isoformat(),
                last_repeat_at=window.last_at.isoformat(),
            )
            audit.record(window.action, **arguments)
            summarised += 1
    return summarised


def _event_arguments(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "setting_key": event["setting_key"],
        "actor_label": event["actor_label"],
        "source": event["source"],
        **event["details"],
    }
