"""What a session remembers of its second factor: django-otp's device id and when it was used."""

from __future__ import annotations

import time
from typing import Any

import django_otp
from django.http import HttpRequest

from .policy import step_up_seconds

VERIFIED_AT = "keyvault_2fa_verified_at"  # epoch seconds of the last accepted second factor


def mark_verified(request: HttpRequest, device: Any) -> None:
    """The session has passed its second factor with `device`, now."""
    django_otp.login(request, device)
    request.session[VERIFIED_AT] = time.time()


def is_verified(request: HttpRequest) -> bool:
    """Set by django-otp's middleware from the session; False for anyone else."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def verified_recently(request: HttpRequest) -> bool:
    """A second factor was accepted in this session within KEYVAULT_STEP_UP_SECONDS."""
    at = request.session.get(VERIFIED_AT)
    fresh = isinstance(at, int | float) and 0 <= time.time() - at <= step_up_seconds()
    return fresh and is_verified(request)
