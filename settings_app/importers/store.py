"""The one place importers write a setting: value, provider and the "imported" audit event together.

Callers validate first (plan.py does, as the admin form does). The write and its audit events
(the model's "created"/"updated" and this module's "imported", naming the source row or line)
commit in one transaction or not at all.
"""

from __future__ import annotations

import hmac
from enum import StrEnum

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from settings_app import audit
from settings_app.encryption.unreadable import UnreadableValue
from settings_app.models import AuditAction, Setting
from settings_app.versions import VersionConflict


class Outcome(StrEnum):
    CREATED = "created"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"  # the setting already holds exactly this value
    KEPT = "kept"  # the setting holds another value and replacing was not asked for


@sensitive_variables("value")
def store_value(
    key: str,
    value: str,
    *,
    provider: str,
    replace: bool,
    source: str,
    actor: AbstractBaseUser | None = None,
) -> Outcome:
    """Create setting `key`, or give it a new value when `replace` is set; audit it as imported.

    Written through `Setting.objects.set_value`, as the admin writes, so every import is a
    version. `source` names where the value came from (a table row, a file line) for the
    audit trail. A setting created or changed meanwhile by someone else is looked at again,
    never overwritten unless `replace` is set.
    """
    try:
        return _store(key, value, provider=provider, replace=replace, source=source, actor=actor)
    except (IntegrityError, VersionConflict):  # changed concurrently between read and write
        return _store(key, value, provider=provider, replace=replace, source=source, actor=actor)


@sensitive_variables("value")
def _store(
    key: str,
    value: str,
    *,
    provider: str,
    replace: bool,
    source: str,
    actor: AbstractBaseUser | None,
) -> Outcome:
    with transaction.atomic():
        setting = Setting.objects.select_for_update().filter(key=key).first()
        if setting is None:
            expected, outcome = 0, Outcome.CREATED
        elif _holds(setting, value):
            return Outcome.UNCHANGED
        elif not replace:
            return Outcome.KEPT
        else:
            expected, outcome = setting.version, Outcome.REPLACED
        setting = Setting.objects.set_value(
            key, value, expected_version=expected, actor=actor, provider=provider
        )
        audit.record_as_current_actor(
            AuditAction.IMPORTED,
            setting_key=key,
            imported_from=source,
            provider=setting.provider,
            replaced=outcome is Outcome.REPLACED,
        )
    return outcome


@sensitive_variables("value")
def _holds(setting: Setting, value: str) -> bool:
    """Whether the setting already holds exactly `value` (an unreadable one never does)."""
    if isinstance(setting.value, UnreadableValue):
        return False
    return hmac.compare_digest(setting.value.encode(), value.encode())
