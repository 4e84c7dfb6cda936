"""What a token reads: the settings in its scope, fetched in one query, each read audited.

Out-of-scope keys, and keys no setting can have (a NUL byte, 200 characters), are never
queried and look exactly like missing ones, so the API is no oracle for which keys exist, and
a database never sees what it would choke on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest

from settings_app.audit.coalescing import (
    counted_repeat,
    record_coalesced,
    repeat_count_key,
    seen_open,
)
from settings_app.credentials.api import credential_json
from settings_app.encryption.decryption_failures import readable_value, record_once
from settings_app.encryption.unreadable import UnreadableValue
from settings_app.lookups.rows import first_where
from settings_app.models import AuditAction, AuditSource, Setting, is_setting_key

from . import scope
from .models import ServiceToken

READ_FIELDS = ("key", "value", "version", "provider", "updated_at", "deleted_at")
SUMMARY_FIELDS = ("key", "version", "provider", "updated_at")
MAX_KEYS = 100  # per listing request
UNDECRYPTABLE = "undecryptable"  # the error code of a value the configured keys cannot open


def readable_setting(token: ServiceToken, key: str) -> Setting | None:
    """The setting `key` if the token's scope covers it and it exists, else None.

    DecryptionError (audited once per row and key id) when its value cannot be decrypted."""
    if not is_setting_key(key) or not token.allows_key(key):
        return None
    setting = first_where(Setting, "key", [key], READ_FIELDS)
    if setting is not None and setting.deleted_at is not None:
        return None  # in the trash: absent, exactly like a missing key
    if setting is not None:
        readable_value(setting, during="API read")  # DecryptionError, audited once
    return setting


def readable_settings(token: ServiceToken, keys: Iterable[str] | None = None) -> list[Setting]:
    """The settings among `keys` (default: all) that the scope covers, by key, one query.

    A value that cannot be decrypted stays in the list as an UnreadableValue (audited once per
    row and key id): one damaged row must not hide the readable ones."""
    found = Setting.objects.only(*READ_FIELDS)
    if keys is None:
        found = found.filter(scope.query(token.scope))
    else:
        wanted = [key for key in keys if is_setting_key(key) and token.allows_key(key)]
        found = found.filter(key__in=wanted)
    # The database matched the patterns; Python's fnmatch confirms, as a second guard.
    settings = [setting for setting in found.order_by("key") if token.allows_key(setting.key)]
    record_once(settings, during="API read")
    return settings


def summaries(token: ServiceToken) -> list[dict[str, Any]]:
    """Key, version, provider and updated_at of every setting in scope: no value is loaded,
    decrypted or sent, so listing names is not a read of any value."""
    found = Setting.objects.only(*SUMMARY_FIELDS).filter(scope.query(token.scope))
    return [
        {name: getattr(setting, name) for name in SUMMARY_FIELDS}
        for setting in found.order_by("key")
        if token.allows_key(setting.key)
    ]


def is_readable(setting: Setting) -> bool:
    return not isinstance(setting.value, UnreadableValue)


def unreadable_json(setting: Setting) -> dict[str, str]:
    """A listing's entry for a value the keys cannot open: why, never the ciphertext."""
    value = setting.value
    assert isinstance(value, UnreadableValue)
    return {"key": setting.key, "error": UNDECRYPTABLE, "reason": value.reason.value}


def as_json(setting: Setting) -> dict[str, Any]:
    """The API's representation (serializers.SettingReadSerializer documents it), built
    directly: a serializer per read would cost more than the rest of the answer."""
    updated_at = setting.updated_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    shown = {
        "key": setting.key,
        "value": setting.value,
        "version": setting.version,
        "provider": setting.provider,
        "updated_at": updated_at,
    }
    structured = credential_json(setting.value)
    return shown if structured is None else {**shown, **structured}


def reads_are_repeats(token: ServiceToken, settings: Iterable[Setting]) -> bool:
    """Whether recording these reads will, almost surely, only count repeats (no event)."""
    return all(seen_open(AuditAction.API_READ, _subject(token, s.key)) for s in settings)


def repeat_keys(token: ServiceToken, settings: Iterable[Setting], now: datetime) -> list[str]:
    """The cache keys counting repeats of these reads (repeat counts in Redis)."""
    return [repeat_count_key(AuditAction.API_READ, _subject(token, s.key), now) for s in settings]


def counted_repeats(token: ServiceToken, settings: Iterable[Setting], now: datetime) -> None:
    """These reads were counted at their `repeat_keys`: their windows are open."""
    for setting in settings:
        counted_repeat(AuditAction.API_READ, _subject(token, setting.key), now)


def _subject(token: ServiceToken, key: str) -> str:
    return f"token:{token.pk}:{key}"


def record_read(token: ServiceToken, setting: Setting, request: HttpRequest, ip: str) -> bool:
    """An api_read event; repeats within a minute are coalesced into one summary.

    True when an event was written (a window opened): the caller then runs `flush_due()` after
    its transaction commits."""
    return record_coalesced(
        AuditAction.API_READ,
        _subject(token, setting.key),
        request=request,
        setting_key=setting.key,
        actor_label=f"service token {token.name}",
        source=AuditSource.API,
        token_name=token.name,
        version=setting.version,
        client_ip=ip,
        flush=False,
    )
