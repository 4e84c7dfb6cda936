"""System checks: an unknown KEYVAULT_REQUIRE_2FA is an error; "none" a deployment warning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .policy import NONE, POLICIES

SETTING = "KEYVAULT_REQUIRE_2FA"


@register(Tags.security)
def check_policy(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    value = str(getattr(settings, SETTING, "key_admins")).strip().lower()
    if value in POLICIES:
        return []
    return [
        Error(
            f"{SETTING} is {value!r}, which is not a policy (everyone must use a second factor "
            "until it is fixed).",
            hint=f"Set {SETTING} to one of: {', '.join(POLICIES)}.",
            id="keyvault.E025",
        )
    ]


@register(Tags.security, deploy=True)
def check_policy_deploy(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if str(getattr(settings, SETTING, "")).strip().lower() != NONE:
        return []
    return [
        Warning(
            f"{SETTING} is 'none': a password alone signs a key admin in and reveals keys.",
            hint=f"Set {SETTING}=key_admins (the default) or all.",
            id="keyvault.W025",
        )
    ]
