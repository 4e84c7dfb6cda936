"""The reveal view: a key admin sees one setting's plaintext, once, after a fresh confirmation.

Mounted by the Setting admin at `<object_id>/reveal/` inside `admin_site.admin_view` (which
adds the staff login); a user with a second factor confirms it (`twofactor.step_up`) instead
of the password. Every attempt, shown or refused, is written to the audit trail (repeated
refusals for want of the permission as one event and a summary with their count). Each form
carries a one-time ticket (`form_tickets`), bound to the user and the setting, spent in the
database in the transaction that records the outcome: of concurrent POSTs of one form, exactly
one gets an answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from .. import audit, metrics
from ..audit.coalescing import record_coalesced
from ..crypto import DecryptionError
from ..encryption.unreadable import require_readable
from ..form_tickets import services as form_tickets
from ..models import AuditAction, AuditSource, Setting
from ..twofactor.policy import needs_second_factor
from ..twofactor.step_up import step_up_required

PERMISSION = "settings_app.reveal_setting"
FORM_TEMPLATE = "admin/settings_app/reveal.html"
VALUE_TEMPLATE = "admin/settings_app/reveal_done.html"
# Long enough to type a password and a reason; a form left open longer is shown again. A new
# form for a setting closes its user's earlier ones for it.
REVEAL_TICKET = form_tickets.Purpose("reveal", timedelta(minutes=15), one_open_per_subject=True)
SERVICE_ONLY = (
    "This key is service-only: services read it with a service token, and nobody can reveal it "
    "here. The refusal was recorded in the audit trail."
)


class RevealForm(forms.Form):
    """Asks for a reason, and again for the password of a user without a second factor.

    A user with one has passed it within the step-up window (`step_up_required` on the view):
    that replaces the password. Either way a stolen session is not enough.
    """

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    reason = forms.CharField(
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why you need the plaintext (at least 10 characters); kept in the audit trail.",
    )

    def __init__(
        self, user: Any, *args: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)
        if needs_second_factor(user):
            del self.fields["password"]

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        # Through authenticate(), so django-axes counts wrong guesses and locks the account
        # out just as on the login page: a stolen session cannot guess the password freely.
        user = authenticate(self.request, username=self.user.get_username(), password=password)
        if user is None or user.pk != self.user.pk:
            raise ValidationError("That is not your password.", code="wrong_password")
        return password


@sensitive_post_parameters("password")
@never_cache  # Cache-Control: no-store, so the plaintext page is never kept by a cache
@csrf_protect
@step_up_required  # a second factor within KEYVAULT_STEP_UP_SECONDS, for users who have one
def reveal_setting_view(
    request: HttpRequest, object_id: str, admin_site: admin.AdminSite | None = None
) -> HttpResponse:
    """GET: the password-and-reason form. POST: the plaintext, once, if the password is right."""
    site = admin_site or admin.site
    if not request.user.has_perm(PERMISSION):
        _refuse_unpermitted(request, object_id)
        raise PermissionDenied
    setting = _get_setting(object_id)
    if setting.service_only:
        _record_refusal(request, setting.key, "service_only")
        context = {**_context(request, site, setting), "form": None, "error": SERVICE_ONLY}
        return render(request, FORM_TEMPLATE, context)
    if request.method != "POST":
        return _render_form(request, site, setting, RevealForm(request.user))
    once = request.POST.get("once", "")
    if not form_tickets.is_open(once, request.user, REVEAL_TICKET, str(setting.pk)):
        return _replayed(request, site, setting)  # a reload, a replay or an old form
    form = RevealForm(request.user, request.POST, request=request)
    valid = form.is_valid()  # the (deliberately slow) password check, before any lock
    with transaction.atomic():  # the token is spent with the event that says on what
        if not form_tickets.spend(once, request.user, REVEAL_TICKET, str(setting.pk)):
            return _replayed(request, site, setting)  # a concurrent POST of the form won
        if valid:
            return _reveal(request, site, setting, form.cleaned_data["reason"])
        if form.has_error("password", code="wrong_password"):
            reason = form.cleaned_data.get("reason", "")
            _record_refusal(request, setting.key, "wrong_password", reason=reason)
    return _render_form(request, site, setting, form)


def _replayed(request: HttpRequest, site: admin.AdminSite, setting: Setting) -> HttpResponse:
    """The value is shown once per confirmation: a used token gets the form again."""
    _record_refusal(request, setting.key, "replayed")
    error = "This confirmation was already used or has expired. Confirm your password again."
    return _render_form(request, site, setting, RevealForm(request.user), error=error)


def _get_setting(object_id: str) -> Setting:
    """The setting without its value: nothing is decrypted before the password is checked."""
    try:
        return Setting.objects.only("pk", "key", "service_only").get(pk=unquote(object_id))
    except (Setting.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such setting.") from None


def _refuse_unpermitted(request: HttpRequest, object_id: str) -> None:
    """Record a reveal by staff without the permission, without flooding the trail.

    Only an id that names a setting reaches the trail (as its key): nothing typed into the URL
    does. Repeats by one user of one setting within a window are counted into one summary.
    """
    if not request.user.is_authenticated:
        return
    pk, setting_key = _existing_setting(object_id)
    record_coalesced(
        AuditAction.REVEAL_REFUSED,
        f"no_permission:user:{request.user.pk}:setting:{pk}",
        request=request,
        setting_key=setting_key,
        actor_label=request.user.get_username(),
        source=AuditSource.ADMIN,
        result="no_permission",
    )


def _existing_setting(object_id: str) -> tuple[str, str]:
    """(pk, key) of the setting `object_id` names, or ("", "") for anything else."""
    try:
        found = Setting.objects.filter(pk=unquote(object_id)).values_list("pk", "key").first()
    except (ValueError, ValidationError, OverflowError):
        found = None
    return ("", "") if found is None else (str(found[0]), found[1])


def _record_refusal(request: HttpRequest, setting_key: str, result: str, **details: Any) -> None:
    if request.user.is_authenticated:
        audit.record(
            AuditAction.REVEAL_REFUSED,
            setting_key=setting_key,
            source=AuditSource.ADMIN,
            request=request,
            result=result,
            **details,
        )


@sensitive_variables()  # every local below, and in what it calls, may hold the plaintext
def _reveal(
    request: HttpRequest, site: admin.AdminSite, setting: Setting, reason: str
) -> HttpResponse:
    try:
        value = require_readable(Setting.objects.values_list("value", flat=True).get(pk=setting.pk))
    except DecryptionError:
        audit.record(
            AuditAction.DECRYPTION_FAILED,
            setting_key=setting.key,
            source=AuditSource.ADMIN,
            request=request,
            during="reveal",
        )
        error = "This value cannot be decrypted with the configured keys; nothing was revealed."
        return _render_form(request, site, setting, RevealForm(request.user), error=error)
    # Recorded before the value is shown: if the trail cannot be written, nothing is revealed.
    audit.record(
        AuditAction.REVEALED,
        setting_key=setting.key,
        source=AuditSource.ADMIN,
        request=request,
        reason=reason,
    )
    metrics.record_reveal()
    context = {**_context(request, site, setting), "value": RevealedValue(value)}
    return render(request, VALUE_TEMPLATE, context)


def _render_form(
    request: HttpRequest, site: admin.AdminSite, setting: Setting, form: RevealForm, error: str = ""
) -> HttpResponse:
    once = form_tickets.issue(request.user, REVEAL_TICKET, str(setting.pk))
    context = {**_context(request, site, setting), "form": form, "error": error, "once": once}
    return render(request, FORM_TEMPLATE, context)


class RevealedValue:
    """The plaintext for the one template that shows it; repr() (debug logs of template
    contexts, error reports) shows nothing."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __str__(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<RevealedValue: hidden>"


def _context(request: HttpRequest, site: admin.AdminSite, setting: Setting) -> dict[str, Any]:
    return {
        **site.each_context(request),
        "title": f"Reveal {setting.key}",
        "subtitle": None,  # base_site.html reads it; a missing variable is logged with the context
        "opts": Setting._meta,
        "original": setting,
        "change_url": _change_url(site, setting),
    }


def _change_url(site: admin.AdminSite, setting: Setting) -> str:
    try:
        return reverse(f"{site.name}:settings_app_setting_change", args=[quote(setting.pk)])
    except NoReverseMatch:  # the Setting admin is not registered on this site
        return ""
