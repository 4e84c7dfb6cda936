"""Checks a typed code against the user's devices, under the lockout, and records the outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django_otp.models import Device

from ..audit.models import AuditAction
from . import lockout
from .devices import user_devices
from .models import RecoveryCodeDevice
from .notices import announce
from .session import mark_verified


@dataclass(frozen=True)
class Outcome:
    """What a code did: accepted by `device`, refused, or refused because of a lockout."""

    device: Device | None = None
    locked_out: bool = False
    recovery_codes_left: int | None = None

    @property
    def accepted(self) -> bool:
        return self.device is not None


def verify_code(request: HttpRequest, user: Any, code: str) -> Outcome:
    """Accept `code` from any of `user`'s devices, unless the account is locked out."""
    if lockout.is_locked_out(request, user):
        return Outcome(locked_out=True)
    device = _matching_device(user, "".join(code.split()))
    if device is None:
        return Outcome(locked_out=lockout.count_failure(request, user))
    mark_verified(request, device)
    lockout.clear_failures(request, user)
    if not isinstance(device, RecoveryCodeDevice):
        return Outcome(device)
    left = device.remaining()
    announce(user, AuditAction.RECOVERY_CODE_USED, request=request, remaining=left)
    return Outcome(device, recovery_codes_left=left)


def _matching_device(user: Any, code: str) -> Device | None:
    for device in user_devices(user):
        # django-otp locks the device row while it checks (a TOTP code is spent once).
        with transaction.atomic():
            verified: Device | None = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None
