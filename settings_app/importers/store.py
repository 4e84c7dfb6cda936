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
from settings_app.models import AuditAction, Setting


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

    `source` names where the value came from (a table row, a file line) for the audit trail.
    A setting created meanwhile by someone else is treated as existing, never overwritten
    unless `replace` is set.
    """
    try:
        return _store(key, value, provider=provider, replace=replace, source=source, actor=actor)
    except IntegrityError:  # created concurrently between our read and our insert
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
        actor_id = None if actor is None else actor.pk
        setting = Setting.objects.select_for_update().filter(key=key).first()
        if setting is None:
            setting = Setting(key=key, provider=provider, created_by_id=actor_id)
            outcome = Outcome.CREATED
        elif hmac.compare_digest(setting.value.encode(), value.encode()):
            return Outcome.UNCHANGED
        elif not replace:
            return Outcome.KEPT
        else:
            outcome = Outcome.REPLACED
        setting.value = value
        setting.updated_by_id = actor_id
        setting.save()
        audit.record_as_current_actor(
            AuditAction.IMPORTED,
            setting_key=key,
            imported_from=source,
            provider=setting.provider,
            replaced=outcome is Outcome.REPLACED,
        )
    return outcome
