"""ServiceToken: what a service may read (and write) over the API, until when, and from where.

The token itself is never stored: `token_hash` holds an HMAC of it (see tokens.py). Imported by
settings_app/models.py, so these models keep the `settings_app` app label.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ..constants import KEY_CHARACTERS, user_reference
from . import expiry, networks, scope
from .scope import validate_write_scope

NAME_MAX_LENGTH = 100
_NAME_CHARACTERS = KEY_CHARACTERS  # names are typed where keys are: the same safe set
# last_used_at and last_used_ip are written at most this often per token: not once per read.
LAST_USED_INTERVAL = timedelta(minutes=1)


def validate_token_name(name: str) -> None:
    """Names are typed on command lines: letters, digits, '_', '-' and '.' only."""
    wrong = sorted(set(name) - _NAME_CHARACTERS)
    if wrong:
        raise ValidationError(
            f"A token name may only use letters, digits, '_', '-' and '.' (e.g. billing-worker); "
            f"{name!r} contains {', '.join(map(repr, wrong))}.",
            code="name_character",
        )


_validate_gateway_scope = scope.validate_patterns  # the field `scope` shadows the module below


class TokenStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ServiceToken(models.Model):
    """A credential a service sends as `Authorization: Bearer kvt_...` to read settings."""

    name = models.CharField(
        max_length=NAME_MAX_LENGTH,
        unique=True,
        validators=[validate_token_name],
        help_text="Who uses it, e.g. billing-worker. Letters, digits, '_', '-' and '.'.",
    )
    description = models.TextField(blank=True, default="")
    scope = models.JSONField(
        default=list,
        blank=True,  # so that clean() reports an empty scope in its own words
        validators=[scope.validate_scope],
        help_text="Setting keys and glob patterns (openai_*) the token may read.",
    )
    # Separate from `scope` and empty by default: reading a key never implies writing it.
    write_scope = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_write_scope],
        help_text="Setting keys and glob patterns the token may write, roll back, delete and "
        "verify; empty means read-only.",
    )
    gateway_scope = models.JSONField(
        default=list,
        blank=True,
        validators=[_validate_gateway_scope],
        help_text="Setting keys and glob patterns whose provider the token may call through "
        "the gateway (/gateway/<key>/...), without ever reading the key.",
    )
    daily_token_limit = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Gateway requests answer 429 once today's input and output tokens reach this.",
    )
    allowed_networks = models.JSONField(
        default=list,
        blank=True,
        validators=[networks.validate_networks],
        help_text="CIDRs the token may be used from (IPv4 or IPv6); empty means anywhere.",
    )
    # Unique, so a lookup is one indexed query; an HMAC, so the database never holds the token.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    created_by = user_reference()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("name",)
        default_permissions = ("add", "view")  # never edited or deleted: revoked, and kept
        permissions = (
            ("revoke_servicetoken", "Can revoke a service token"),
            ("grant_service_only", "Can create tokens that read service-only settings"),
        )
        verbose_name = "service token"

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<ServiceToken {self.name!r}>"  # never the hash

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.token_hash:
            raise ValueError("Create service tokens with settings_app.api.services.create_token().")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if not self.scope and not self.gateway_scope:
            errors["scope"] = [scope.EMPTY_SCOPE]
        if self.expires_at is not None:
            try:
                expiry.validate_expiry(self.expires_at, self.created_at)
            except ValidationError as error:
                errors["expires_at"] = error.messages
        if errors:
            raise ValidationError(errors)
        if isinstance(self.allowed_networks, list):
            with contextlib.suppress(ValidationError):  # reported by the field's validator
                self.allowed_networks = networks.normalise_networks(self.allowed_networks)

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at <= now:
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE

    def is_active(self, now: datetime) -> bool:
        return self.status(now) == TokenStatus.ACTIVE

    def allows_key(self, key: str) -> bool:
        return scope.allows(self.scope, key)

    def allows_gateway(self, key: str) -> bool:
        return scope.allows(self.gateway_scope, key)

    def allows_write(self, key: str) -> bool:
        return scope.allows(self.write_scope, key)

    def allows_address(self, address: str) -> bool:
        return networks.address_allowed(self.allowed_networks, address)


class RateLimitCounter(models.Model):
    """Fixed-window request counts, used when the cache is Django's database cache.

    That cache's incr() is a read then a write, so two workers can both read 5 and both write
    6; an UPDATE ... SET count = count + 1 on this table cannot lose a request.
    """

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
