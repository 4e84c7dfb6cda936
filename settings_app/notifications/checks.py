"""System checks for the reminder settings: `manage.py check` names a bad one before a run.

Ids: keyvault.E301 (policy days), E302 (verification timeouts), E303 (webhook URL), E304
(notice addresses) and W301 (a webhook without a signing secret).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email

from ..providers import PROVIDERS
from .policy import MAX_KEY_AGE, VERIFY_MAX_AGE, configured_days
from .reverify import TIMEOUTS_SETTING, provider_timeout

WEBHOOK_URL = "KEYVAULT_NOTIFY_WEBHOOK_URL"
WEBHOOK_SECRET = "KEYVAULT_NOTIFY_WEBHOOK_SECRET"  # noqa: S105  (a setting's name)
NOTIFY_EMAILS = "KEYVAULT_NOTIFY_EMAILS"


@register()
def check_reminders(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    return [*_policy_errors(), *_timeout_errors(), *_webhook_messages(), *_address_errors()]


def _policy_errors() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in (MAX_KEY_AGE, VERIFY_MAX_AGE):
        try:
            configured_days(name)
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), hint=f"e.g. {name}=90", id="keyvault.E301"))
    return errors


def _timeout_errors() -> list[CheckMessage]:
    configured = getattr(settings, TIMEOUTS_SETTING, None) or {}
    unknown = sorted(set(configured) - set(PROVIDERS))
    errors: list[CheckMessage] = (
        [
            Error(
                f"{TIMEOUTS_SETTING} names {', '.join(unknown)}, which keyvault does not know.",
                hint=f"Use provider names from the registry: {', '.join(PROVIDERS)}.",
                id="keyvault.E302",
            )
        ]
        if unknown
        else []
    )
    for provider in PROVIDERS.values():
        try:
            provider_timeout(provider)
        except ImproperlyConfigured as error:
            errors.append(Error(str(error), id="keyvault.E302"))
    return errors


def _webhook_messages() -> list[CheckMessage]:
    url = getattr(settings, WEBHOOK_URL, "")
    if not url:
        return []
    if not _is_http_url(url):
        return [
            Error(
                f"{WEBHOOK_URL} is not an http(s) URL.",
                hint="Give the full address of the incoming webhook, e.g. https://hooks.example.com/...",
                id="keyvault.E303",
            )
        ]
    if not getattr(settings, WEBHOOK_SECRET, ""):
        return [
            Warning(
                f"{WEBHOOK_URL} is set without {WEBHOOK_SECRET}: notices go out unsigned, so "
                "the receiver cannot tell them from forgeries.",
                hint=f"Set {WEBHOOK_SECRET} to a long random string and check the "
                "X-Keyvault-Signature header on the receiving side (see the README).",
                id="keyvault.W301",
            )
        ]
    return []


def _is_http_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return False
    return parsed.scheme in {"http", "https"} and bool(parsed.host)


def _address_errors() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for address in getattr(settings, NOTIFY_EMAILS, []):
        try:
            validate_email(address)
        except ValidationError:
            errors.append(
                Error(
                    f"{NOTIFY_EMAILS} holds {address!r}, which is not an e-mail address.",
                    hint="Give comma-separated addresses, e.g. ops@example.com,sec@example.com.",
                    id="keyvault.E304",
                )
            )
    return errors
