"""Access tokens minted by keyvault (Vertex AI, Entra ID), cached until shortly before expiry.

Minting is a blocking HTTP exchange: it runs in a worker thread, never on the event loop, and
at most once at a time per credential (concurrent requests wait for the same mint). A token is
cached under a digest of the credential it was minted from, so a rotated credential mints its
own at once while streams in flight keep theirs.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable

REFRESH_MARGIN_SECONDS = 300.0  # refreshed this long before it expires
MAX_ENTRIES = 256

Mint = Callable[[], tuple[str, float]]  # -> (token, expiry as a Unix time)

_tokens: dict[str, tuple[str, float]] = {}
_locks: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Lock] = {}
_guard = threading.Lock()


def identity(*parts: str) -> str:
    """The cache identity of a credential: a digest, so no secret is a dictionary key."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


async def access_token(credential: str, mint: Mint) -> str:
    """A token for `credential` (an `identity()`), from the cache or minted in a thread."""
    cached = _fresh(credential)
    if cached is not None:
        return cached
    async with _lock(credential):
        cached = _fresh(credential)  # minted by the request we waited for
        if cached is not None:
            return cached
        token, expires_at = await asyncio.to_thread(mint)
        with _guard:
            if len(_tokens) >= MAX_ENTRIES:
                _tokens.clear()
            _tokens[credential] = (token, expires_at)
        return token


def _fresh(credential: str) -> str | None:
    entry = _tokens.get(credential)
    if entry is None or entry[1] - REFRESH_MARGIN_SECONDS <= time.time():
        return None
    return entry[0]


def _lock(credential: str) -> asyncio.Lock:
    key = (asyncio.get_running_loop(), credential)
    with _guard:
        return _locks.setdefault(key, asyncio.Lock())


def reset() -> None:
    """Forget every cached token (tests)."""
    with _guard:
        _tokens.clear()
        _locks.clear()
