"""The two-factor pages: the code step (sign-in and step-up), enrolment and the device list.

Thin over `verification` and `devices`; each page is served inside the admin's look and under
the admin site's login. The code step and enrolment are the only pages an unverified user sees.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from axes.helpers import get_lockout_response
from django.contrib import admin, messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp_webauthn.models import WebAuthnCredential

from . import devices
from .forms import CodeForm
from .models import RecoveryCodeDevice
from .policy import has_device, must_enrol
from .session import is_verified
from .step_up import step_up_required
from .verification import Outcome, verify_code

TEMPLATES = "admin/settings_app/twofactor/"
WRONG_CODE = "That code is not valid. Type the current code of your authenticator app, or an "
WRONG_CODE += "unused recovery code."

admin_login = login_required(login_url="admin:login")


@sensitive_post_parameters("code")
@never_cache
@admin_login
def verify_view(request: HttpRequest) -> HttpResponse:
    """The second-factor step after the password, and the step-up before dangerous actions."""
    if not has_device(request.user):
        return redirect("twofactor:enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = verify_code(request, request.user, form.cleaned_data["code"])
        if outcome.locked_out:
            return _locked_out(request)
        if outcome.accepted:
            _say_recovery_codes_left(request, outcome)
            return HttpResponseRedirect(_next(request))
        form.add_error("code", WRONG_CODE)
    passkey = WebAuthnCredential.objects.filter(user=request.user, confirmed=True).exists()
    return _render(request, "verify.html", _verify_title(request), form=form, passkey=passkey)


def _verify_title(request: HttpRequest) -> str:
    return "Confirm it is you" if is_verified(request) else "Second factor"


def _locked_out(request: HttpRequest) -> HttpResponse:
    credentials = {"username": request.user.get_username()}
    logout(request)
    return get_lockout_response(request, credentials=credentials)


def _say_recovery_codes_left(request: HttpRequest, outcome: Outcome) -> None:
    left = outcome.recovery_codes_left
    if left is not None:
        advice = " Generate new ones on your two-factor page." if left < 3 else ""
        messages.warning(request, f"Recovery code used: {left} remain.{advice}")


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else reverse("admin:index")


@sensitive_post_parameters("code")
@never_cache
@admin_login
def enrol_view(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: scan, type one code; the first enrolment also gets codes."""
    if has_device(request.user) and not is_verified(request):
        return redirect("twofactor:verify")  # a password alone adds no device to an account
    device = devices.pending_totp(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if devices.confirm_totp(request, device, form.cleaned_data["code"]):
            return _after_enrolment(request)
        form.add_error("code", "That code is not valid. Type the code your app shows now.")
    context = {"form": form, "qr_svg": devices.qr_svg(device), "secret": _b32(device)}
    return _render(request, "enrol.html", "Add an authenticator app", **context)


def _b32(device: Any) -> str:
    return b32encode(device.bin_key).decode()


def _after_enrolment(request: HttpRequest) -> HttpResponse:
    if RecoveryCodeDevice.objects.filter(user=request.user).exists():
        messages.success(request, "Your authenticator app is now a second factor.")
        return redirect("twofactor:manage")
    return _show_codes(request, devices.issue_recovery_codes(request, request.user))


@never_cache
@admin_login
def manage_view(request: HttpRequest) -> HttpResponse:
    """The user's second factors, with what can be done to them."""
    context = {
        "devices": devices.user_devices(request.user),
        "required": must_enrol(request.user),
        "has_codes": RecoveryCodeDevice.objects.filter(user=request.user).exists(),
    }
    return _render(request, "manage.html", "Two-factor sign-in", **context)


@require_POST
@never_cache
@admin_login
@step_up_required
def recovery_codes_view(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown on this response only."""
    return _show_codes(request, devices.issue_recovery_codes(request, request.user))


@require_POST
@admin_login
@step_up_required
def remove_device_view(request: HttpRequest) -> HttpResponse:
    try:
        removed = devices.remove_device(request, request.user, request.POST.get("device", ""))
    except devices.DeviceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Removed {removed.name}.")
    return redirect("twofactor:manage")


def _show_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return _render(request, "recovery_codes.html", "Your recovery codes", codes=codes)


def _render(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    page = {
        **admin.site.each_context(request),
        "title": title,
        "subtitle": None,
        # Before the second factor, the admin's menu would only list pages that stay closed.
        "is_nav_sidebar_enabled": is_verified(request),
        **context,
    }
    return render(request, TEMPLATES + template, page)
