"""Re-verify the keys not verified lately, a few at a time, with httpx's async client.

`manage.py verify_settings --stale 7d` calls `reverify_stale()`. What is sent is decided by
`provider_client.check_key` itself: each key goes through it with a transport that captures the
request instead of sending it, so every rule there (which host, which headers, which keys are
never sent) holds here too. The captured requests then go out concurrently, at most
MAX_CONCURRENT at once and each with its provider's timeout; answers are classified, stored and
audited as `verify_setting` does. A key that turns invalid gets an "invalid" notice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import audit
from ..crypto import DecryptionError
from ..encryption import decryption_failures
from ..encryption.unreadable import require_readable
from ..models import AuditAction, Setting, VerificationStatus
from ..providers import Provider, classification, get_provider, verification
from ..providers import client as provider_client
from ..providers.classification import VerificationResult
from .notices import NotifyReport, invalid_notice, send_notices

logger = logging.getLogger(__name__)

MAX_CONCURRENT = 4
MAX_TIMEOUT_SECONDS = 300.0
TIMEOUTS_SETTING = "KEYVAULT_VERIFY_TIMEOUTS"
_AGE = re.compile(r"^(\d+)([wdhm])$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


def parse_age(text: str) -> timedelta:
    """'7d' -> 7 days; also weeks (w), hours (h) and minutes (m). Raises ValueError saying how."""
    found = _AGE.match(text.strip().lower())
    if found is None or int(found[1]) == 0:
        raise ValueError(
            f"{text!r} is not an age: give a whole number and a unit, such as 7d, 12h, 30m or 2w."
        )
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


def provider_timeout(provider: Provider) -> float:
    """Seconds to wait for `provider`: KEYVAULT_VERIFY_TIMEOUTS, else verification's default."""
    configured = getattr(settings, TIMEOUTS_SETTING, None) or {}
    raw = configured.get(provider.slug, provider_client.TIMEOUT_SECONDS)
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        seconds = 0.0
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        raise ImproperlyConfigured(
            f"{TIMEOUTS_SETTING} gives {provider.slug} {raw!r}: use a number of seconds "
            f"above 0 and at most {MAX_TIMEOUT_SECONDS:g}, e.g. {provider.slug}=20."
        )
    return seconds


@dataclass
class ReverifyRun:
    """What a run did: outcomes, unreadable rows, keys left alone, and notices sent."""

    verified: list[tuple[Setting, VerificationResult]] = field(default_factory=list)
    unreadable: list[tuple[Setting, DecryptionError]] = field(default_factory=list)
    fresh: int = 0
    turned_invalid: list[Setting] = field(default_factory=list)
    notices: NotifyReport | None = None


@dataclass(frozen=True)
class PendingCheck:
    """A request `check_key` would send, waiting for its turn."""

    setting: Setting
    provider: Provider
    request: httpx.Request
    timeout: float


def reverify_stale(
    max_age: timedelta,
    candidates: Iterable[Setting] | None = None,
    *,
    now: datetime | None = None,
    concurrency: int = MAX_CONCURRENT,
) -> ReverifyRun:
    """Verify the candidates (default: every setting) not verified within `max_age`."""
    stale, fresh = split_stale(candidates, max_age, now or timezone.now())
    run = ReverifyRun(fresh=fresh)
    pending = [check for s in stale if (check := _plan(s, run)) is not None]
    answers = asyncio.run(check_all(pending, concurrency)) if pending else []
    for check, result in zip(pending, answers, strict=True):
        record(check.setting, result, run)
    run.verified.sort(key=lambda pair: pair[0].key)
    if run.turned_invalid:
        run.notices = send_notices([invalid_notice(s) for s in run.turned_invalid])
    return run


def split_stale(
    candidates: Iterable[Setting] | None, max_age: timedelta, now: datetime
) -> tuple[list[Setting], int]:
    """(the stale settings, how many others were verified recently enough)."""
    cutoff = now - max_age
    if candidates is None:
        stale_rows = Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=cutoff)
        stale = list(Setting.objects.filter(stale_rows).order_by("key"))
        return stale, Setting.objects.count() - len(stale)
    listed = list(candidates)
    stale = [s for s in listed if s.last_verified_at is None or s.last_verified_at < cutoff]
    return stale, len(listed) - len(stale)


def _plan(setting: Setting, run: ReverifyRun) -> PendingCheck | None:
    """The check to send for `setting`, or None when it was settled without sending one."""
    provider = get_provider(setting.provider)
    try:
        api_key = require_readable(setting.value)
        if provider is None:  # nothing to send: verify_setting records why
            run.verified.append((setting, verification.verify_setting(setting)))
            return None
    except DecryptionError as error:
        run.unreadable.append((setting, error))
        decryption_failures.record_once([setting], during="verify_settings --stale")
        return None
    planned = planned_request(provider, api_key)
    if isinstance(planned, VerificationResult):
        record(setting, planned, run)
        return None
    return PendingCheck(setting, provider, planned, provider_timeout(provider))


class _Captured(Exception):
    """Raised by the capturing transport to carry the request out of `check_key`."""

    def __init__(self, request: httpx.Request) -> None:
        self.request = request


def planned_request(provider: Provider, api_key: str) -> httpx.Request | VerificationResult:
    """The request `check_key` would send for `api_key`, or its answer when it sends none."""

    def capture(request: httpx.Request) -> httpx.Response:
        raise _Captured(request)

    with httpx.Client(transport=httpx.MockTransport(capture), follow_redirects=False) as client:
        try:
            return provider_client.check_key(provider, api_key, client=client)
        except _Captured as captured:
            return captured.request


def record(setting: Setting, result: VerificationResult, run: ReverifyRun) -> None:
    """Store and audit the outcome together, as `verify_setting` words it."""
    previous = setting.verification_status
    result = verification._with_previous(result, previous)  # the same "Previously: ..." rule
    with transaction.atomic():
        setting.record_verification(result.status, result.detail)
        audit.record_as_current_actor(
            AuditAction.VERIFIED, setting_key=setting.key, status=result.status, stale=True
        )
    logger.info("Re-verified setting %r (%s): %s", setting.key, setting.provider, result.status)
    run.verified.append((setting, result))
    if result.status == VerificationStatus.INVALID and previous != VerificationStatus.INVALID:
        run.turned_invalid.append(setting)


# --- sending, concurrently --------------------------------------------------------------------


async def check_all(pending: Sequence[PendingCheck], concurrency: int) -> list[VerificationResult]:
    """Each check's outcome, in order, with at most `concurrency` requests in flight."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(follow_redirects=False) as client:

        async def one(check: PendingCheck) -> VerificationResult:
            async with limit:
                return await check_async(client, check)

        return list(await asyncio.gather(*(one(check) for check in pending)))


async def check_async(client: httpx.AsyncClient, check: PendingCheck) -> VerificationResult:
    try:
        status_code, body = await send_async(client, check)
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        # httpx messages may quote the URL or headers: only fixed sentences leave this module.
        return VerificationResult(VerificationStatus.UNREACHABLE, transport_detail(error, check))
    return classification.classify(check.provider, status_code, body)


async def send_async(client: httpx.AsyncClient, check: PendingCheck) -> tuple[int, bytes]:
    """Status code and (at most MAX_BODY_BYTES of) body; redirects are never followed."""
    planned = check.request
    request = client.build_request(
        planned.method, planned.url, headers=planned.headers, timeout=check.timeout
    )
    response = await client.send(request, stream=True, follow_redirects=False)
    body = b""
    try:
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= provider_client.MAX_BODY_BYTES:
                break
    finally:
        await response.aclose()
    return response.status_code, body[: provider_client.MAX_BODY_BYTES]


def transport_detail(error: Exception, check: PendingCheck) -> str:
    """A fixed sentence per failure class; never the exception's own message."""
    host = check.request.url.host
    if isinstance(error, httpx.TimeoutException):
        return f"No answer from {host} within {check.timeout:g} s; try again later."
    if isinstance(error, httpx.ConnectError):
        return f"Could not connect to {host}; try again later."
    return f"The request to {host} failed ({type(error).__name__}); try again later."
