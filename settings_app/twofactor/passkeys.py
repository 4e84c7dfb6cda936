"""Passkeys (django-otp-webauthn) as a second factor: its ceremony views, audited and timed.

The package verifies the WebAuthn ceremonies; these subclasses add what keyvault needs around
them: a new passkey is audited and mailed, a passkey used to sign in or step up counts as a
fresh second factor and clears wrong-code failures, a refused one counts as a wrong code does,
and a locked-out account cannot use one.
Mounted under the package's own `otp_webauthn` namespace, which its template tags reverse.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import logout
from django.http import HttpResponse
from django.urls import path, reverse
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn import views as webauthn
from django_otp_webauthn.models import WebAuthnCredential
from webauthn.helpers.exceptions import WebAuthnException

from ..audit.models import AuditAction
from . import lockout
from .notices import announce
from .session import mark_verified

PASSKEY_NAME = "Passkey"


class LockedOut(exceptions.OTPWebAuthnApiError):
    status_code = 429
    default_detail = "Too many failed sign-in attempts: try again later."
    default_code = "locked_out"


class RegisterPasskey(webauthn.CompleteCredentialRegistrationView):
    """Saves the new passkey (the package checks it), then audits it and verifies the session."""

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post(*args, **kwargs)
        device = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
        device.name = PASSKEY_NAME
        device.save(update_fields=["name"])
        announce(
            self.request.user,
            AuditAction.SECOND_FACTOR_ADDED,
            request=self.request,
            device=PASSKEY_NAME,
        )
        mark_verified(self.request, device)
        return response


class NotWhenLockedOut:
    """A locked-out account (wrong codes or passwords) cannot use a passkey either."""

    request: Any

    def check_can_authenticate(self) -> None:
        user = self.request.user
        if user.is_authenticated and lockout.is_locked_out(self.request, user):
            raise LockedOut()
        super().check_can_authenticate()  # type: ignore[misc]


class BeginPasskeySignIn(NotWhenLockedOut, webauthn.BeginCredentialAuthenticationView):
    pass


class CompletePasskeySignIn(NotWhenLockedOut, webauthn.CompleteCredentialAuthenticationView):
    """After the password (never instead of it): the session is verified now.

    A passkey the package refuses (a bad assertion, another user's or unknown credential)
    counts in the lockout as a wrong code does; the failure that locks the account signs it out.
    """

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = super().post(*args, **kwargs)
        except exceptions.InvalidState:
            raise  # no ceremony was begun in this session: no passkey was tried
        except (exceptions.OTPWebAuthnApiError, WebAuthnException):  # refused by the package
            if lockout.count_failure(self.request, self.request.user):
                logout(self.request)
                raise LockedOut() from None
            raise
        return response

    def complete_auth(self, device: Any) -> None:
        if not self.request.user.is_authenticated or device.user_id != self.request.user.pk:
            raise exceptions.PasswordlessLoginDisabled()
        mark_verified(self.request, device)
        lockout.clear_failures(self.request, self.request.user)

    def get_success_url(self) -> str:
        return str(self.get_redirect_url() or reverse("admin:index"))


app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        webauthn.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/", RegisterPasskey.as_view(), name="credential-registration-complete"
    ),
    path(
        "authentication/begin/",
        BeginPasskeySignIn.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        CompletePasskeySignIn.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
