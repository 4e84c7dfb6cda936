"""What a token's read writes, committed once: its rate count, its last use, its audit events.

With the database cache (the default) the rate counter and the audit repeat counts are rows.
Counting a read and recording its audit in one transaction means a steady read commits once,
without waiting for the disk (`relaxed_commit`). The first read of an audit window writes an
event, which must be durable: that read's transaction is then a durable one (chosen up front
when this process has not seen the window open; else `relaxed_unless_durable` retries). With
Redis the counts live in Redis, and a steady read writes nothing to the database: its rate
count and its repeat counts are raised by one script, in one round trip.

The count comes after the lookup, so a read over the limit still costs a query; it gets 429
and no value, and is not audited (no value left).
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from settings_app.audit import repeat_counts
from settings_app.audit.coalescing import flush_due
from settings_app.counters.relaxed_commit import relaxed_unless_durable
from settings_app.models import Setting

from . import counters, reads, services, throttling
from .models import ServiceToken


def settle_read(
    token: ServiceToken, request: HttpRequest, settings: list[Setting], address: str
) -> float | None:
    """Count this read and audit the values of `settings` (none for a 404 or a 304).

    None within the rate limit; else the seconds until the window ends (nothing is audited)."""

    if settings and repeat_counts.in_cache() and reads.reads_are_repeats(token, settings):
        return _settle_repeats_in_redis(token, request, settings, address)
    last_used = token.last_used_at, token.last_used_ip

    def count_and_record() -> tuple[float | None, bool]:
        token.last_used_at, token.last_used_ip = last_used  # a retry starts where the first did
        wait = throttling.count_request(
            token, throttling.READ_COUNTER, throttling.configured_rate()
        )
        if wait is not None:
            return wait, False
        services.mark_used(token, address)
        opened = [reads.record_read(token, setting, request, address) for setting in settings]
        return None, any(opened)

    if not counters.in_database():
        wait, opened = count_and_record()
    elif reads.reads_are_repeats(token, settings):  # the steady state: counters only
        wait, opened = relaxed_unless_durable(counters.database(), count_and_record)
    else:  # a window opens: its event is written, and must be durable
        with transaction.atomic(using=counters.database()):
            wait, opened = count_and_record()
    if opened:
        flush_due()  # other keys' finished windows, now that this transaction has committed
    return wait


def _settle_repeats_in_redis(
    token: ServiceToken, request: HttpRequest, settings: list[Setting], address: str
) -> float | None:
    """The steady state with Redis: the rate count and each read's repeat count in one round
    trip. A read whose window is no longer open (flushed, or expired) records its event."""
    now = timezone.now()
    limit, period = throttling.configured_rate()
    key, wait = throttling.counter_key(token, throttling.READ_COUNTER, period, now.timestamp())
    repeat_keys = reads.repeat_keys(token, settings, now)
    count, counted = counters.increment_with_repeats(key, period, limit, repeat_keys)
    if count > limit:
        return wait
    services.mark_used(token, address)
    reads.counted_repeats(token, [s for s, c in zip(settings, counted, strict=True) if c], now)
    uncounted = [s for s, c in zip(settings, counted, strict=True) if not c]
    if any([reads.record_read(token, s, request, address) for s in uncounted]):
        flush_due()
    return None
