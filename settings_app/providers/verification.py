"""Verifying stored settings: each outcome saved on the setting with its audit event, together.

An "unreachable" outcome replaces the previous status and names it, so an outage is visible
without losing history. Outcomes are a status, a sentence and a time: never a body or a key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from django.db import transaction

from .. import audit
from ..credentials.envelope import is_envelope
from ..credentials.value import from_value
from ..crypto import DecryptionError
from ..encryption import decryption_failures
from ..encryption.unreadable import require_readable
from ..models import AuditAction, Setting
from . import client as provider_client
from .classification import Status, VerificationResult
from .registry import get_provider

logger = logging.getLogger(__name__)


def verify_setting(setting: Setting, *, client: httpx.Client | None = None) -> VerificationResult:
    """Verify setting.value with its provider and record it via setting.record_verification().

    A setting whose provider is not in the registry ("other") is recorded as unverified. An
    "unreachable" outcome replaces the previous status (the time says when it was tried) and
    its detail names the previous result, so an outage is visible without losing history.
    A value that cannot be decrypted raises its DecryptionError: nothing is sent or recorded.
    """
    api_key = require_readable(setting.value)
    provider = get_provider(setting.provider)
    if is_envelope(api_key):
        # Imported here: the credentials package builds on this package's client and results.
        from ..credentials.verifiers import check_credential

        result = check_credential(from_value(setting.provider, setting.key, api_key), client=client)
    elif provider is None:
        result = VerificationResult(
            Status.UNVERIFIED,
            f"The provider '{setting.provider}' is unknown to keyvault, so this key cannot be "
            "verified.",
        )
    else:
        result = provider_client.check_key(provider, api_key, client=client)
    result = _with_previous(result, setting.verification_status)
    with transaction.atomic():  # the stored outcome and its event commit together, or neither
        setting.record_verification(result.status, result.detail)
        audit.record_as_current_actor(
            AuditAction.VERIFIED, setting_key=setting.key, status=result.status
        )
    logger.info("Verified setting %r (%s): %s", setting.key, setting.provider, result.status)
    return result


@dataclass(frozen=True)
class VerificationRun:
    """What `verify_all` did: each readable setting with its outcome, and the settings whose
    value cannot be decrypted, with why (nothing was sent for those)."""

    verified: list[tuple[Setting, VerificationResult]]
    unreadable: list[tuple[Setting, DecryptionError]]


def verify_all(
    settings: Iterable[Setting], *, client: httpx.Client | None = None
) -> VerificationRun:
    """Verify every readable setting; one that cannot be decrypted is audited (once) and set
    aside, so it never stops the others."""
    run = VerificationRun([], [])
    for setting in settings:
        try:
            run.verified.append((setting, verify_setting(setting, client=client)))
        except DecryptionError as error:
            run.unreadable.append((setting, error))
    decryption_failures.record_once([s for s, _ in run.unreadable], during="verify_settings")
    return run


_PREVIOUS_WORTH_NAMING = {Status.VALID, Status.RESTRICTED, Status.INVALID, Status.NO_QUOTA}


def _with_previous(result: VerificationResult, previous: str) -> VerificationResult:
    if result.status != Status.UNREACHABLE or previous not in _PREVIOUS_WORTH_NAMING:
        return result
    label = Status(previous).label
    return VerificationResult(result.status, f"{result.detail} Previously: {label}.")
