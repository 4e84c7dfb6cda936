"""System check for the versions configuration: `manage.py check` reports a bad retention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from . import retention


@register()
def check_max_versions(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        retention.max_versions()
    except ImproperlyConfigured as error:
        return [
            Error(
                str(error),
                hint="Set KEYVAULT_MAX_VERSIONS to a whole number such as 10, or unset it.",
                id="keyvault.E020",
            )
        ]
    return []
