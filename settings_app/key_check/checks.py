"""System check: keys that cannot open the key-check record fail `manage.py check` itself.

Plain `check` (run by `migrate` and every deploy) reports it as an Error, so a deploy with the
wrong keys stops before serving unreadable values and refusing every service token.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError

from ..crypto import EncryptionError
from .service import KeyCheckState, check_keys

_IDS = {KeyCheckState.MISMATCH: "keyvault.E010", KeyCheckState.DAMAGED: "keyvault.E011"}
HINT = (
    "Restore the .env (or key files, or KEYVAULT_* variables) the data was written with; "
    "`python manage.py encryption_status` says which key is wrong."
)


@register()
def check_keys_match_record(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    try:
        result = check_keys()
    except (EncryptionError, DatabaseError):
        return []  # unusable keys are keyvault.E001-E007; no table yet: nothing written
    if not result.is_problem:
        return []
    return [Error(result.message, hint=HINT, id=_IDS[result.state])]
