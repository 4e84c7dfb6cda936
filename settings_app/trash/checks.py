"""System check: a bad KEYVAULT_TRASH_DAYS is reported by `manage.py check`, before serving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from .services import trash_days


@register()
def check_trash_days(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    try:
        trash_days()
    except ImproperlyConfigured as error:
        hint = "Set KEYVAULT_TRASH_DAYS to a whole number of days such as 30, or unset it."
        return [Error(str(error), hint=hint, id="keyvault.E012")]
    return []
