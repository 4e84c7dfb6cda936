"""Creating, revoking and using service tokens: what the admin pages and commands both call.

Every change is recorded in the audit trail in the same transaction, or not made at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from settings_app import audit
from settings_app.models import AuditAction

from . import expiry, service_only, tokens
from .models import LAST_USED_INTERVAL, ServiceToken


class ServiceTokenError(Exception):
    """A token operation that cannot be done; the message says why and what to do."""


class UnknownToken(ServiceTokenError):
    pass


class AlreadyRevoked(ServiceTokenError):
    pass


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its secret, which exists only here: it is shown once, never stored."""

    token: ServiceToken
    secret: str = field(repr=False)


def create_token(
    name: str,
    scope: Iterable[str],
    *,
    lifetime: timedelta = expiry.DEFAULT_LIFETIME,
    allowed_networks: Iterable[str] = (),
    description: str = "",
    created_by: Any = None,
    gateway_scope: Iterable[str] = (),
    daily_token_limit: int | None = None,
    write_scope: Iterable[str] = (),
) -> CreatedToken:
    """Create and audit a token; ValidationError (by field) when an input is wrong."""
    _refuse_revoked_name(name)
    now = timezone.now()
    secret = tokens.generate()
    token = ServiceToken(
        name=name,
        scope=list(scope),
        gateway_scope=list(gateway_scope),
        daily_token_limit=daily_token_limit,
        write_scope=list(write_scope),
        allowed_networks=list(allowed_networks),
        description=description,
        expires_at=now + lifetime,
        created_at=now,
        created_by=created_by,
        token_hash=tokens.token_hash(secret),
    )
    token.full_clean()
    try:
        with transaction.atomic():
            granted = service_only.check_grant(token.scope, created_by)
            token.save(force_insert=True)
            audit.record_as_current_actor(
                AuditAction.TOKEN_CREATED,
                token_name=token.name,
                scope=token.scope,
                gateway_scope=token.gateway_scope,
                daily_token_limit=token.daily_token_limit,
                write_scope=token.write_scope,
                allowed_networks=token.allowed_networks,
                expires_at=token.expires_at.isoformat(),
                service_only=granted,
            )
    except IntegrityError:  # created by someone else between full_clean() and save()
        raise ValidationError({"name": "A service token with this name already exists."}) from None
    return CreatedToken(token, secret)


def _refuse_revoked_name(name: str) -> None:
    """A revoked token keeps its name (the list and the audit trail name it): say so."""
    revoked = ServiceToken.objects.filter(name=name, revoked_at__isnull=False).first()
    if revoked is not None and revoked.revoked_at is not None:
        raise ValidationError(
            {
                "name": (
                    f"The name {name!r} belongs to a revoked token (revoked "
                    f"{revoked.revoked_at:%Y-%m-%d %H:%M} UTC), kept for the record: choose "
                    f"another, e.g. {name}-2."
                )
            }
        )


def revoke_token(name: str) -> ServiceToken:
    """Revoke the token called `name`: its next request is refused. Audited."""
    with transaction.atomic():
        token = ServiceToken.objects.select_for_update().filter(name=name).first()
        if token is None:
            raise UnknownToken(
                f"There is no service token named {name!r}; the admin's Service tokens page "
                "lists them."
            )
        if token.revoked_at is not None:
            raise AlreadyRevoked(
                f"Service token {name!r} was already revoked at {token.revoked_at:%Y-%m-%d %H:%M} "
                "UTC."
            )
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record_as_current_actor(AuditAction.TOKEN_REVOKED, token_name=token.name)
    return token


def mark_used(token: ServiceToken, address: str, now: datetime | None = None) -> None:
    """Note when and where the token was last used, at most once per LAST_USED_INTERVAL.

    The instance is updated too: a cached token then skips the write until the next interval."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_INTERVAL:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_INTERVAL)
    # Conditional, so concurrent workers write once between them.
    ServiceToken.objects.filter(stale, pk=token.pk).update(
        last_used_at=now, last_used_ip=address or None
    )
    token.last_used_at, token.last_used_ip = now, address or None
