"""Enrolment and removal of second factors: authenticator apps (TOTP) and recovery codes."""

from __future__ import annotations

import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..audit.models import AuditAction, AuditSource
from .models import RecoveryCode, RecoveryCodeDevice, code_digest, new_code
from .notices import announce
from .session import mark_verified

RECOVERY_CODE_COUNT = 10
APP_NAME = "Authenticator app"


class DeviceError(Exception):
    """A device that is not the user's, or a user that does not exist."""


def pending_totp(user: Any) -> TOTPDevice:
    """The user's unconfirmed authenticator device (a new secret if there is none)."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return pending or TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no image request, no CSP hole)."""
    out = io.BytesIO()
    qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration


def confirm_totp(request: HttpRequest, device: TOTPDevice, code: str) -> bool:
    """Count `device` once it has produced one valid code; the session is then verified."""
    if not device.verify_token(code):
        return False
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        announce(device.user, AuditAction.SECOND_FACTOR_ADDED, request=request, device=device.name)
    mark_verified(request, device)
    return True


def issue_recovery_codes(request: HttpRequest | None, user: Any) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODE_COUNT new ones, returned once."""
    codes = [new_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCodeDevice.objects.filter(user=user).delete()
        device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes")
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, digest=code_digest(code)) for code in codes
        )
        announce(user, AuditAction.RECOVERY_CODES_ISSUED, request=request, count=len(codes))
    return codes


def user_devices(user: Any) -> list[Device]:
    """The user's confirmed devices, authenticator apps first."""
    found = list(devices_for_user(user, confirmed=True))
    return sorted(found, key=lambda device: isinstance(device, RecoveryCodeDevice))


def remove_device(request: HttpRequest, user: Any, persistent_id: str) -> Device:
    """Delete one of `user`'s devices (the caller has checked a fresh second factor)."""
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk:
        raise DeviceError("No such device on your account.")
    with transaction.atomic():
        device.delete()
        announce(user, AuditAction.SECOND_FACTOR_REMOVED, request=request, device=device.name)
    return device


def reset_second_factors(username: str, reason: str) -> int:
    """Remove every device of `username` (a lost phone); the operator's reason is audited."""
    user = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    if user is None:
        raise DeviceError(f"There is no user {username!r}. Check the username (it is exact).")
    with transaction.atomic():
        removed = list(devices_for_user(user, confirmed=None))
        for device in removed:
            device.delete()
        announce(
            user,
            AuditAction.SECOND_FACTOR_RESET,
            source=AuditSource.COMMAND,
            reason=reason,
            removed=len(removed),
        )
    return len(removed)
