"""GET /api/v1/settings/<key>?version=N: an older value, for tokens whose creator may restore it.

Reading a past version is what a rollback would make current, so it needs the same right: the
token's read scope covers the key, and its creator holds the rollback permission now. Each read
is audited as a read of that version.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.http import HttpRequest

from settings_app.audit.coalescing import record_coalesced
from settings_app.credentials.api import credential_json
from settings_app.encryption.unreadable import UnreadableValue
from settings_app.models import AuditAction, AuditSource, Setting
from settings_app.versions.errors import VersionDestroyed, VersionNotFound
from settings_app.versions.models import SettingVersion

from ..models import ServiceToken
from ..reads import UNDECRYPTABLE
from ..views import Undecryptable


def readable_version(token: ServiceToken, key: str, number: int) -> tuple[Setting, SettingVersion]:
    """The setting and its version `number`; Setting.DoesNotExist when the key is missing or
    out of the read scope, VersionNotFound or VersionDestroyed for the version."""
    setting = Setting.objects.filter(key=key).first() if token.allows_key(key) else None
    if setting is None:
        raise Setting.DoesNotExist(key)
    row = setting.versions.filter(version=number).first()
    if row is None:
        raise VersionNotFound(f"{key} has no version {number} (it may have been pruned).")
    if row.is_destroyed or row.value is None:
        raise VersionDestroyed(f"Version {number} of {key} was destroyed: its value is gone.")
    return setting, row


def is_unreadable(row: SettingVersion) -> bool:
    return isinstance(row.value, UnreadableValue)


def undecryptable(row: SettingVersion) -> Undecryptable:
    """The read API's 500 for a version the keys cannot open: the reason, never the ciphertext."""
    value = row.value
    assert isinstance(value, UnreadableValue)
    detail = {"detail": Undecryptable.default_detail, "reason": value.reason.value}
    return Undecryptable(detail, code=UNDECRYPTABLE)


def as_json(setting: Setting, row: SettingVersion) -> dict[str, Any]:
    """The read API's shape, for a past version; `updated_at` is when it was written."""
    written = row.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    shown = {
        "key": setting.key,
        "value": str(row.value),
        "version": row.version,
        "provider": setting.provider,
        "updated_at": written,
    }
    structured = credential_json(str(row.value))  # a structured credential's envelope
    return shown if structured is None else {**shown, **structured}


def record_version_read(
    token: ServiceToken, key: str, number: int, request: HttpRequest, ip: str
) -> None:
    """An api_read event naming the version; repeats within a minute are coalesced."""
    record_coalesced(
        AuditAction.API_READ,
        f"token:{token.pk}:{key}:v{number}",
        request=request,
        setting_key=key,
        actor_label=f"service token {token.name}",
        source=AuditSource.API,
        token_name=token.name,
        version=number,
        client_ip=ip,
    )
