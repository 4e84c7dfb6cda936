"""Recovery codes as a django-otp device: single-use, stored only as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import models, transaction
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand
CODE_LENGTH = 10  # about 49 bits each: a digest without salt or stretching is safe to keep


def new_code() -> str:
    """A fresh recovery code such as `k7mqa-x2npr`."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def code_digest(code: str) -> str:
    """The stored form of `code`: spaces, dashes and case do not matter when typed."""
    normal = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normal.encode()).hexdigest()


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A user's set of recovery codes; each verifies once and is then deleted."""

    class Meta:
        verbose_name = "recovery codes"
        verbose_name_plural = "recovery codes"

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: Any) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed or not isinstance(token, str):
            return False
        with transaction.atomic():
            used, _ = self.codes.filter(digest=code_digest(token)).delete()
            if used:
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
                return True
        self.throttle_increment()
        return False

    def remaining(self) -> int:
        return self.codes.count()


class RecoveryCode(models.Model):
    """One unused recovery code, as its digest."""

    device = models.ForeignKey(RecoveryCodeDevice, related_name="codes", on_delete=models.CASCADE)
    digest = models.CharField(max_length=64, db_index=True)

    class Meta:
        verbose_name = "recovery code"

    def __str__(self) -> str:
        return "recovery code"  # never the digest: nothing to show
