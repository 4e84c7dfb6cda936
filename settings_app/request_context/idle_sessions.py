"""Idle sessions end: a signed-in user who makes no request for KEYVAULT_SESSION_IDLE_MINUTES
(default 30; 0 turns it off) is signed out, and the login page says why.

This is a second limit beside SESSION_COOKIE_AGE, which stays absolute: recording activity
saves the session, which would restart its age, so its expiry is pinned to the sign-in time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

LAST_ACTIVITY = "keyvault_last_activity"  # epoch seconds of the last recorded request
SIGNED_IN_AT = "keyvault_signed_in_at"
# Record activity at most once a minute: a session write per request would cost a query each.
RECORD_INTERVAL_SECONDS = 60


class IdleSessionTimeoutMiddleware:
    """Signs out a user idle for too long, before the view runs; records activity otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if idle_for_too_long(request.session):
                sign_out_idle(request)
            else:
                record_activity(request.session)
        return self.get_response(request)


def idle_for_too_long(session: SessionBase) -> bool:
    minutes = settings.KEYVAULT_SESSION_IDLE_MINUTES
    last = session.get(LAST_ACTIVITY)
    return minutes > 0 and last is not None and time.time() - last > minutes * 60


def sign_out_idle(request: HttpRequest) -> None:
    minutes = settings.KEYVAULT_SESSION_IDLE_MINUTES
    logout(request)
    messages.info(
        request,
        f"You were signed out after {minutes} minutes without activity. Sign in again.",
        fail_silently=True,
    )


def record_activity(session: SessionBase, *, signing_in: bool = False) -> None:
    now = time.time()
    last = session.get(LAST_ACTIVITY)
    if not signing_in and last is not None and now - last < RECORD_INTERVAL_SECONDS:
        return
    signed_in_at = now if signing_in else session.get(SIGNED_IN_AT, now)
    session[SIGNED_IN_AT] = signed_in_at
    session[LAST_ACTIVITY] = now
    deadline = signed_in_at + settings.SESSION_COOKIE_AGE
    session.set_expiry(datetime.fromtimestamp(deadline, tz=UTC))


@receiver(user_logged_in)
def start_the_idle_clock(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Signing in is activity: the clock (and the absolute limit) start now."""
    if request is not None and hasattr(request, "session"):
        record_activity(request.session, signing_in=True)
