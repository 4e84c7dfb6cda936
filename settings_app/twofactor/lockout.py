"""Wrong codes and refused passkeys count in django-axes' lockout, keyed as passwords are.

AXES_RESET_ON_SUCCESS is off, so a correct password no longer wipes the count: failures are
cleared here, once a sign-in is complete (the second factor passed, or none is needed).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from ..request_context.client_address import client_ip
from .policy import needs_second_factor


def _credentials(user: Any) -> dict[str, str]:
    return {"username": user.get_username()}


def is_locked_out(request: HttpRequest, user: Any) -> bool:
    return not AxesProxyHandler.is_allowed(request, _credentials(user))


def count_failure(request: HttpRequest, user: Any) -> bool:
    """One wrong code or refused passkey: the same signal a wrong password sends, so axes
    counts it alike. True when the account is now locked out."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    return is_locked_out(request, user)


def clear_failures(request: HttpRequest, user: Any) -> None:
    reset(ip=client_ip(request), username=user.get_username())


@receiver(user_logged_in)
def clear_after_password_only_sign_in(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    """Without a second factor to pass, the password completes the sign-in."""
    if request is not None and user is not None and not needs_second_factor(user):
        clear_failures(request, user)
