"""Service-only settings and tokens: a token that reads one is granted, never simply minted.

A key admin cannot reveal a service-only setting; without this check they could mint a token
whose scope covers it and read it with curl. Tokens are never widened (they are revoked and
made anew), so checking at creation covers every way to a wider scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from settings_app.models import Setting

from . import scope

GRANT_PERMISSION = "settings_app.grant_service_only"


def covered_service_only(patterns: Iterable[str]) -> list[str]:
    """The keys of the service-only settings a scope covers, sorted."""
    found = Setting.objects.filter(scope.query(patterns), service_only=True)
    return list(found.order_by("key").values_list("key", flat=True))


def check_grant(patterns: Iterable[str], user: Any) -> list[str]:
    """The service-only keys `patterns` cover; ValidationError (on scope) when `user` may not
    grant them. `user` None is an operator at the command line, who holds the keys anyway."""
    covered = covered_service_only(patterns)
    if covered and user is not None and not user.has_perm(GRANT_PERMISSION):
        raise ValidationError(
            {
                "scope": (
                    f"This scope covers the service-only settings {', '.join(covered)}: a token "
                    f"that reads them needs the permission {GRANT_PERMISSION} (superusers hold "
                    "it). Narrow the scope, or ask a superuser to create the token."
                )
            },
            code="service_only",
        )
    return covered
