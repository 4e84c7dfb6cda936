"""How the suite passes the second factor: a real TOTP device and a session django-otp verified."""

from __future__ import annotations

import base64
import time
from typing import Any

import pyotp
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from settings_app.twofactor.session import VERIFIED_AT


def totp_device(user: Any, name: str = "Test authenticator") -> TOTPDevice:
    """The user's confirmed authenticator device (created on first use)."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name=name, defaults={"confirmed": True})
    return device


def current_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the user's app shows now (pyotp, independent of django-otp), or at `at`."""
    device.refresh_from_db()
    totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode())
    moment = time.time() if at is None else at
    # django-otp refuses a code it has seen (last_t): the next step's code is still accepted.
    step = max(int(moment // device.step), device.last_t + 1)
    return totp.at(step * device.step)


def verify_session(client: Client, user: Any) -> TOTPDevice:
    """Mark `client`'s session as having passed its second factor now, with a real device."""
    device = totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT] = time.time()
    session.save()
    return device
