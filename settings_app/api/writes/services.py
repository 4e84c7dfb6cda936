"""What the write endpoints do, through `Setting.objects.set_value` and the versions services.

Every change is attributed to the service token (its name on each audit event) and commits
with its audit event. A refused stale write is recorded too, and committed, before
`VersionConflict` reaches the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from settings_app import audit, providers
from settings_app.credentials import api_writes
from settings_app.models import AuditSource, Setting
from settings_app.providers import verification
from settings_app.providers.verification import VerificationResult
from settings_app.request_context.client_address import client_ip
from settings_app.versions import services as versions
from settings_app.versions.errors import VersionConflict

from ..models import ServiceToken

ANY_VERSION = -1  # If-Match: * -- the setting must exist, at whatever version


class NothingToReplace(VersionConflict):
    """If-Match: * on a setting that does not exist."""

    def _message(self) -> str:
        return f"{self.key} does not exist: If-Match: * only replaces. Nothing was saved."


@dataclass(frozen=True)
class WriteOutcome:
    """The setting after a write; `created` when the write made it; `warnings` for the caller."""

    setting: Setting
    created: bool
    warnings: list[str] = field(default_factory=list)


@contextmanager
def acting_for(token: ServiceToken, request: HttpRequest) -> Iterator[None]:
    """Attribute what happens inside to the token, with its name and the client's address."""
    with audit.acting(
        AuditSource.API,
        label=f"service token {token.name}",
        request=request,
        token_name=token.name,
        client_ip=client_ip(request),
    ):
        yield


@sensitive_variables("value")
def write_setting(
    key: str,
    value: str,
    *,
    expected_version: int | None = None,
    provider: str | None = None,
    description: str | None = None,
) -> WriteOutcome:
    """Create `key` or write `value` as its new version, with the admin's rules.

    `expected_version`: None writes over any version, 0 only creates, ANY_VERSION only
    replaces, N only replaces version N (else `VersionConflict`). ValidationError when the
    key, value or provider is wrong; nothing is stored then."""
    current = Setting.objects.filter(key=key).values_list("provider", "version").first()
    if expected_version == ANY_VERSION:
        if current is None:
            raise NothingToReplace(key, expected=ANY_VERSION, current=0)
        expected_version = None
    if current is not None and provider and provider != current[0]:
        raise ValidationError(
            f"{key} is a {current[0]} key; a stored key stays with the provider it was entered "
            "for. Write it under another key, or change the provider in the admin."
        )
    refused: VersionConflict | None = None
    with transaction.atomic():
        try:
            setting = Setting.objects.set_value(
                key, value, expected_version=expected_version, provider=provider
            )
        except VersionConflict as conflict:
            refused = conflict  # recorded inside: let it commit, then raise
        else:
            _describe(setting, description)
    if refused is not None:
        raise refused
    return WriteOutcome(setting, current is None, _warnings(setting, value))


@sensitive_variables("fields")
def write_credential(
    key: str,
    fields: dict[str, str],
    *,
    expected_version: int | None = None,
    provider: str | None = None,
    description: str | None = None,
) -> WriteOutcome:
    """`write_setting` for a structured credential: `fields` by the admin's rules
    (settings_app.credentials.api_writes)."""
    created = not Setting.objects.filter(key=key).exists()
    if expected_version == ANY_VERSION:
        if created:
            raise NothingToReplace(key, expected=ANY_VERSION, current=0)
        expected_version = None
    refused: VersionConflict | None = None
    with transaction.atomic():
        try:
            setting = api_writes.write_fields(
                key, fields, provider=provider, expected_version=expected_version
            )
        except VersionConflict as conflict:
            refused = conflict  # recorded inside: let it commit, then raise
        else:
            _describe(setting, description)
    if refused is not None:
        raise refused
    return WriteOutcome(setting, created)


def rollback_setting(key: str, version: int, *, expected_version: int | None = None) -> Setting:
    """The admin's restore: version `version` becomes current again, as a new version."""
    return versions.rollback(key, version, expected_version=expected_version)


def delete_setting(key: str, *, expected_version: int | None = None) -> None:
    """Move `key` to the trash (audited; restorable in the admin for KEYVAULT_TRASH_DAYS);
    VersionConflict if it moved on meanwhile."""
    refused: VersionConflict | None = None
    with transaction.atomic():
        setting = Setting.objects.select_for_update(of=("self",)).filter(key=key).first()
        if setting is None:
            raise Setting.DoesNotExist(f"There is no setting {key!r}.")
        if expected_version in (None, ANY_VERSION):
            setting.delete()
            return
        refused = versions.conflict_for(setting, expected_version)
        if refused is None:
            setting.delete()
    if refused is not None:
        raise refused


def verify_setting(key: str) -> tuple[Setting, VerificationResult]:
    """Ask the provider whether the stored value of `key` works; the outcome is recorded."""
    setting = Setting.objects.get(key=key)
    return setting, verification.verify_setting(setting)


def _describe(setting: Setting, description: str | None) -> None:
    if description is not None and description != setting.description:
        setting.description = description
        setting.save(update_fields=["description"])


@sensitive_variables("value")
def _warnings(setting: Setting, value: str) -> list[str]:
    hint = providers.prefix_hint(setting.provider, providers.clean_whitespace(value))
    return [hint] if hint else []
