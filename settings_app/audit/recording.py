"""Recording an audit event: who, what, from where, and details that never hold a secret."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from ..logs import context as request_context
from ..logs.redaction import redact
from ..request_context import client_address
from .chain import append
from .models import AuditAction, AuditEvent, AuditSource

MAX_DETAIL_LENGTH = 500
USER_AGENT_LENGTH = 255
# Details describe an event; these keys would invite storing the secret itself.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {"value", "plaintext", "ciphertext", "secret", "password", "api_key", "token"}
)

DetailValue = str | int | float | bool | None
_ACTIONS = frozenset(AuditAction.values)  # AuditAction.values builds a new list on every use


def record(
    action: str,
    *,
    setting_key: str = "",
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    source: str = AuditSource.CODE,
    request: HttpRequest | None = None,
    **details: DetailValue | list[DetailValue],
) -> AuditEvent:
    """Append one event to the trail and return it.

    `details` are short strings and numbers (or lists of them) that explain the event; a
    'value' key is refused and anything that looks like a secret is masked.
    """
    event = new_event(
        action,
        setting_key=setting_key,
        actor=actor,
        actor_label=actor_label,
        source=source,
        request=request,
        **details,
    )
    append(event)
    return event


def new_event(
    action: str,
    *,
    setting_key: str = "",
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    source: str = AuditSource.CODE,
    request: HttpRequest | None = None,
    **details: DetailValue | list[DetailValue],
) -> AuditEvent:
    """The event `record()` would append, unsaved: for `chain.append_many()` (bulk changes)."""
    if action not in _ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}; use an AuditAction.")
    user = getattr(request, "user", None)  # absent when no AuthenticationMiddleware ran
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    return AuditEvent(
        action=action,
        setting_key=setting_key,
        actor_id=None if actor is None else actor.pk,
        actor_label=actor_label or (actor.get_username() if actor is not None else ""),
        source=source,
        ip=client_ip(request),
        user_agent=_user_agent(request),
        details=clean_details(_with_request_id(details)),
    )


def _with_request_id(details: Mapping[str, Any]) -> Mapping[str, Any]:
    """Events recorded while a request is handled carry its id, as its log lines do."""
    request_id = request_context.current().request_id
    if not request_id or "request_id" in details:
        return details
    return {**details, "request_id": request_id}


def clean_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details fit for the trail: short scalars (or lists of them), secrets masked."""
    cleaned: dict[str, Any] = {}
    for key, value in details.items():
        if key.lower() in FORBIDDEN_DETAIL_KEYS:
            raise ValueError(f"Audit details must never hold a {key!r}: describe, don't copy.")
        if isinstance(value, list | tuple):
            cleaned[key] = [_clean_scalar(key, item) for item in value]
        else:
            cleaned[key] = _clean_scalar(key, value)
    return cleaned


def _clean_scalar(key: str, value: Any) -> DetailValue:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str):
        return redact(value)[:MAX_DETAIL_LENGTH]
    raise TypeError(
        f"Audit detail {key!r} must be a string or a number, not {type(value).__name__}."
    )


def client_ip(request: HttpRequest | None) -> str:
    """The client's address by the trusted-proxy rule (`client_address`); "" without a request."""
    return "" if request is None else client_address.client_ip(request)


def _user_agent(request: HttpRequest | None) -> str:
    raw = "" if request is None else str(request.META.get("HTTP_USER_AGENT", ""))
    return redact(raw)[:USER_AGENT_LENGTH]
