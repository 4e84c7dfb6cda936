"""Recording usage without delaying a response: counted in memory, written in batches afterwards.

A finished response adds its figures to this process's pending counts; a flush, at most
KEYVAULT_GATEWAY_FLUSH_SECONDS later, upserts one row per (day, token, setting, model) with
F-expressions, so workers never overwrite each other's counts. No database write happens
before a response's last byte is sent. A failed flush is logged and counted, never raised to
a caller; its counts are kept for the next flush.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from settings_app import metrics
from settings_app.api import services as token_services

from .lookups import run_sync
from .models import GatewayUsage
from .usage import Usage

logger = logging.getLogger(__name__)
RowKey = tuple[date, int, str, str]  # day, token id, setting key, model
FIELDS = ("requests", "input_tokens", "output_tokens", "unmetered")


@dataclass
class _Pending:
    rows: defaultdict[RowKey, Counter[str]]
    used: dict[int, tuple[Any, str]]  # token id -> (token, client address), for last_used


class Recorder:
    """This process's pending usage and the flush that writes it."""

    def __init__(self) -> None:
        self._pending = _Pending(defaultdict(Counter), {})
        self._lock = threading.Lock()
        self._writing: _Pending | None = None  # taken by a flush, not yet committed
        self._flush_handle: asyncio.TimerHandle | None = None
        self.failures = 0
        self.written: list[Callable[[], None]] = []  # called after each successful write

    def add(self, token: Any, setting_key: str, usage: Usage, address: str) -> None:
        """Count one finished response; schedules a flush on the running loop if none is."""
        row = (timezone.now().date(), token.pk, setting_key, usage.model[:200])
        with self._lock:
            counts = self._pending.rows[row]
            counts["requests"] += 1
            counts["input_tokens"] += usage.input_tokens
            counts["output_tokens"] += usage.output_tokens
            counts["unmetered"] += 0 if usage.metered else 1
            self._pending.used[token.pk] = (token, address)
        self._schedule()

    def pending_tokens(self, token_id: int, day: date) -> int:
        """Input and output tokens counted for `token_id` on `day` and not yet written."""
        with self._lock:
            batches = [self._pending] + ([self._writing] if self._writing else [])
            return sum(
                counts["input_tokens"] + counts["output_tokens"]
                for batch in batches
                for (row_day, row_token, _, _), counts in batch.rows.items()
                if row_token == token_id and row_day == day
            )

    async def flush(self) -> None:
        """Write every pending count now (also called at shutdown)."""
        self._flush_handle = None
        with self._lock:
            taken, self._pending = self._pending, _Pending(defaultdict(Counter), {})
            self._writing = taken
        if not taken.rows:
            self._writing = None
            return
        try:
            await run_sync(write, taken.rows, taken.used)
        except Exception:
            self.failures += 1
            metrics.record_gateway_recording_failure()
            logger.exception("Could not record gateway usage; it is kept for the next flush.")
            self._restore(taken)
            return
        for callback in self.written:
            callback()  # before the counts leave `_writing`: never counted nowhere
        self._writing = None

    def _restore(self, taken: _Pending) -> None:
        with self._lock:
            self._writing = None
            for row, counts in taken.rows.items():
                self._pending.rows[row].update(counts)
            self._pending.used = {**taken.used, **self._pending.used}
        self._schedule()

    def _schedule(self) -> None:
        if self._flush_handle is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        delay = float(getattr(settings, "KEYVAULT_GATEWAY_FLUSH_SECONDS", 1.0))
        # A fresh context: the flush must not inherit a request's thread-sensitive executor.
        self._flush_handle = loop.call_later(delay, _start_flush, loop, self)


def _start_flush(loop: asyncio.AbstractEventLoop, recorder: Recorder) -> None:
    loop.create_task(recorder.flush(), context=contextvars.Context())


def write(rows: dict[RowKey, Counter[str]], used: dict[int, tuple[Any, str]]) -> None:
    """Upsert each row with F-expressions; note when each token was last used."""
    for (day, token_id, setting_key, model), counts in rows.items():
        _upsert(dict(day=day, token_id=token_id, setting_key=setting_key, model=model), counts)
    now: datetime = timezone.now()
    for token, address in used.values():
        token_services.mark_used(token, address, now)


def _upsert(identity: dict[str, Any], counts: Counter[str]) -> None:
    increments = {name: F(name) + counts[name] for name in FIELDS}
    if GatewayUsage.objects.filter(**identity).update(**increments):
        return
    try:
        with transaction.atomic():
            GatewayUsage.objects.create(**identity, **{name: counts[name] for name in FIELDS})
    except IntegrityError:  # another worker created the row meanwhile
        GatewayUsage.objects.filter(**identity).update(**increments)


recorder = Recorder()
