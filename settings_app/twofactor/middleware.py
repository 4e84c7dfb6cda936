"""Until a signed-in user passes their second factor, every page but the 2FA step is closed.

A user who must have a second factor and has none is sent to enrolment; one with a device to
the code page. A stolen session cookie without a second factor therefore reaches nothing.
Services are not affected: the read API authenticates by service token, never by session.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .policy import has_device, needs_second_factor
from .session import is_verified

OPEN_TO_UNVERIFIED = (
    "admin:login",
    "admin:logout",
    "twofactor:verify",
    "twofactor:enrol",
    # The passkey ceremonies (django-otp-webauthn refuses to register a passkey for an
    # unverified user who already has a second factor).
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
)


class SecondFactorMiddleware:
    """Redirects an unverified user who needs a second factor to the page that gives one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _held_back(request):
            return second_factor_redirect(request)
        return self.get_response(request)


def _held_back(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated or is_verified(request) or _open(request):
        return False
    return needs_second_factor(user)


def _open(request: HttpRequest) -> bool:
    return request.path_info in {reverse(name) for name in OPEN_TO_UNVERIFIED}


def second_factor_redirect(request: HttpRequest) -> HttpResponse:
    """To the code page (or enrolment for a user without a device), back here afterwards."""
    target = "twofactor:verify" if has_device(request.user) else "twofactor:enrol"
    next_path = request.get_full_path() if request.method in {"GET", "HEAD"} else ""
    query = f"?{urlencode({'next': next_path})}" if next_path else ""
    return redirect(reverse(target) + query)
