"""The "Provider keys" admin: keys are typed in once and only ever shown masked afterwards.

The plaintext never reaches a page: the list and the change form show `masking.mask()`, the
value input is write-only, and lookups on the value (or its fingerprint) are refused.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import providers
from .admin_forms.setting import MAIN_FIELDS, SettingForm, credential_form
from .api import admin as api_admin
from .audit import admin as audit_admin
from .credentials import admin as credentials_admin
from .crypto import DecryptionError, EncryptionError
from .encryption import decryption_failures, key_advice
from .encryption.unreadable import UnreadableValue
from .gateway import admin as gateway_admin
from .importers.admin_views import import_env_urls
from .key_check.service import check_keys
from .logs.redaction import redact
from .models import Setting, VerificationStatus
from .notifications.admin import (
    ROTATION_FIELDS,
    ROTATION_FIELDSET,
    DueListFilter,
    RotationAdminMixin,
    due_banner,
)
from .providers import verification
from .providers.masking import mask
from .reveal.views import reveal_setting_view
from .trash import admin as trash_admin
from .twofactor import admin as twofactor_admin
from .twofactor.step_up import step_up_required
from .versions.admin import VersionedSettingAdmin

# They register their own pages (twofactor's removes django-otp's unaudited device admin).
__all__ = [
    "SettingAdmin",
    "api_admin",
    "audit_admin",
    "gateway_admin",
    "trash_admin",
    "twofactor_admin",
]

TITLE = "Provider keys"
admin.site.site_header = "keyvault"
admin.site.site_title = "keyvault"
admin.site.index_title = "Provider keys and their audit trail"
EMPTY = "—"

# Verification outcome -> admin message level.
MESSAGE_LEVELS: dict[str, int] = {
    VerificationStatus.VALID: messages.SUCCESS,
    VerificationStatus.INVALID: messages.ERROR,
}

# The model's verification fields, with the detail redacted: providers may echo the key back.
VERIFICATION_SHOWN = tuple(
    "verification_detail_shown" if name == "verification_detail" else name
    for name in Setting.VERIFICATION_FIELDS
)
HISTORY_FIELDS = ("created_at", "created_by", "updated_at", "updated_by")


@dataclass(frozen=True)
class ProviderRow:
    """One line of the overview: a known provider, whether it has a key, and where to go."""

    name: str
    has_key: bool
    url: str | None


@admin.register(Setting)
class SettingAdmin(RotationAdminMixin, VersionedSettingAdmin):
    form = SettingForm
    list_display = (
        "key",
        "provider",
        "masked_value",
        "verification",
        "expiry",
        "updated",
    )
    list_select_related = ("updated_by",)
    list_filter = ("provider", "verification_status", DueListFilter)
    # Never "value": it is ciphertext in the database (and the field refuses the lookup).
    search_fields = ("key", "description")
    search_help_text = "Search by key name or description."
    readonly_fields = (
        "current_value",
        *VERIFICATION_SHOWN,
        *HISTORY_FIELDS,
        *ROTATION_FIELDS,
    )
    actions = ("verify_selected",)

    # --- list columns ----------------------------------------------------------------------
    @admin.display(description="Value")
    def masked_value(self, obj: Setting) -> str:
        if isinstance(obj.value, UnreadableValue):
            return self._unreadable(obj.value)
        return credentials_admin.field_masks(obj.value) or mask(obj.value or "", obj.provider)

    @admin.display(description="Verification", ordering="verification_status")
    def verification(self, obj: Setting) -> SafeString:
        when = _when(obj.last_verified_at)
        return format_html("{}<br><small>{}</small>", obj.get_verification_status_display(), when)

    @admin.display(description="Expires", ordering="expires_at")
    def expiry(self, obj: Setting) -> SafeString | str:
        if obj.expires_at is None:
            return EMPTY
        shown = date_format(obj.expires_at, "SHORT_DATE_FORMAT")
        if obj.is_expired:
            return format_html('<strong class="expired">{} (expired)</strong>', shown)
        return shown

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj: Setting) -> SafeString:
        by = obj.updated_by.get_username() if obj.updated_by else EMPTY
        return format_html("{}<br><small>by {}</small>", _when(obj.updated_at), by)

    # --- change form -----------------------------------------------------------------------
    @admin.display(description="Current value")
    def current_value(self, obj: Setting) -> str:
        if isinstance(obj.value, UnreadableValue):
            advice = decryption_failures.REASONS[obj.value.reason].advice
            return format_html("{} <p>{}</p>", self._unreadable(obj.value), advice)
        return credentials_admin.field_masks(obj.value) or mask(obj.value or "", obj.provider)

    @admin.display(description="Verification detail")
    def verification_detail_shown(self, obj: Setting) -> str:
        known = None if isinstance(obj.value, UnreadableValue) else obj.value
        return redact(obj.verification_detail, known) or EMPTY

    def _unreadable(self, value: UnreadableValue) -> SafeString:
        """'Cannot be decrypted: <reason>', and a link to what to do about it."""
        reason = decryption_failures.REASONS[value.reason]
        url = f"{reverse('admin:settings_app_setting_decryption_help')}#{reason.anchor}"
        return format_html(
            '<strong class="unreadable">Cannot be decrypted: {}</strong> '
            '<a href="{}" class="unreadable-help">What to do</a>',
            reason.label,
            url,
        )

    def get_form(
        self, request: HttpRequest, obj: Setting | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        slug = credentials_admin.structured_slug(request, obj)
        if slug is not None:
            kwargs["form"] = credential_form(slug)
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Setting | None = None) -> Any:
        slug = credentials_admin.structured_slug(request, obj)
        if obj is None:
            return [(None, {"fields": credentials_admin.main_fields(slug, MAIN_FIELDS)})]
        main = _change_form_fields(editable=self.has_change_permission(request, obj))
        main = credentials_admin.main_fields(slug, main)
        return [
            (None, {"fields": main}),
            ("Verification", {"fields": VERIFICATION_SHOWN}),
            ROTATION_FIELDSET,
            ("History", {"fields": HISTORY_FIELDS}),
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Setting | None = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        # One way: a key made service-only cannot be made revealable again in the admin.
        return (*readonly, "service_only") if obj is not None and obj.service_only else readonly

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.pop("value", None)  # a key never travels in a URL
        if initial.get("key") and not initial.get("provider"):
            initial["provider"] = providers.provider_for_key(str(initial["key"]))
        return initial

    def save_model(self, request: HttpRequest, obj: Setting, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        hint = None if change_is_structured(obj) else providers.prefix_hint(obj.provider, obj.value)
        if hint:
            self.message_user(request, hint, messages.WARNING)

    # --- lookups ---------------------------------------------------------------------------
    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # ?value=... or ?value_fingerprint__startswith=... would turn the list into an oracle.
        if lookup.split("__")[0] in {"value", "value_fingerprint"}:
            return False
        return super().lookup_allowed(lookup, value, request)

    # --- overview --------------------------------------------------------------------------
    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            self.report_key_check(request)
        context = {
            "title": TITLE,
            "provider_overview": self.provider_overview(request),
            "due_keys": due_banner(),
        }
        response = super().changelist_view(request, {**context, **(extra_context or {})})
        changelist = getattr(response, "context_data", None) or {}
        if "cl" in changelist:
            decryption_failures.record_once(changelist["cl"].result_list, during="admin list")
        return response

    def report_key_check(self, request: HttpRequest) -> None:
        """Say above the list when the salt or keys are not those that wrote the data: every
        row would otherwise only say "unknown key id"."""
        try:
            result = check_keys()
        except EncryptionError as error:
            self.message_user(request, key_advice.explain(error), messages.ERROR)
            return
        if result.is_problem:
            self.message_user(request, result.message, messages.ERROR)

    def provider_overview(self, request: HttpRequest) -> list[ProviderRow]:
        """Every known provider, and a link to its keys or to add the missing one."""
        known = credentials_admin.overview_entries(providers.PROVIDERS.values())
        present = set(
            Setting.objects.filter(provider__in=[slug for slug, _, _ in known])
            .values_list("provider", flat=True)
            .distinct()
        )
        can_add = self.has_add_permission(request)
        return [
            ProviderRow(name, slug in present, _url(slug, key, slug in present, can_add))
            for slug, name, key in known
        ]

    # --- verification ----------------------------------------------------------------------
    @method_decorator(sensitive_post_parameters("value"))
    def changeform_view(self, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(*args, **kwargs)

    def get_urls(self) -> list[URLPattern]:
        verify = self.admin_site.admin_view(require_POST(self.verify_view))
        reveal = self.admin_site.admin_view(
            functools.partial(reveal_setting_view, admin_site=self.admin_site)
        )
        help_page = self.admin_site.admin_view(self.decryption_help_view)
        return [
            *import_env_urls(self.admin_site),
            path("decryption-help/", help_page, name="settings_app_setting_decryption_help"),
            path("<path:object_id>/verify/", verify, name="settings_app_setting_verify"),
            path("<path:object_id>/reveal/", reveal, name="settings_app_setting_reveal"),
            *super().get_urls(),
        ]

    def change_context(self, request: HttpRequest, object_id: str) -> dict[str, Any]:
        setting = self.get_object(request, unquote(object_id))
        if setting is not None:
            decryption_failures.record_once([setting], during="admin change page")
        return {
            **super().change_context(request, object_id),
            "can_reveal": request.user.has_perm("settings_app.reveal_setting")
            and not (setting is not None and setting.service_only),
            "can_view_audit": request.user.has_perm("settings_app.view_auditevent"),
            "audit_url": (
                reverse("admin:settings_app_auditevent_changelist")
                + "?"
                + urlencode({"setting_key": setting.key})
                if setting is not None
                else ""
            ),
        }

    # --- step-up: a version restored or destroyed needs a second factor from the last minutes
    @method_decorator(step_up_required)
    def restore_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        return super().restore_view(request, object_id, number)

    @method_decorator(step_up_required)
    def destroy_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        return super().destroy_view(request, object_id, number)

    def verify_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST-only (admin_view adds CSRF protection): verify one key and say how it went."""
        setting = self.get_object(request, unquote(object_id))
        if setting is None:
            raise Http404("No such provider key.")
        if not self.has_change_permission(request, setting):
            raise PermissionDenied
        self.report_verification(request, setting)
        return HttpResponseRedirect(reverse("admin:settings_app_setting_change", args=[setting.pk]))

    @admin.action(description="Verify selected keys", permissions=["change"])
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Setting]) -> None:
        for setting in queryset:
            self.report_verification(request, setting)

    def decryption_help_view(self, request: HttpRequest) -> HttpResponse:
        """What each reason a value cannot be decrypted means, and what to do about it."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Values that cannot be decrypted",
            "subtitle": None,
            "opts": self.opts,
            "reasons": list(decryption_failures.REASONS.values()),
        }
        return TemplateResponse(request, "admin/settings_app/setting/decryption_help.html", context)

    def report_verification(self, request: HttpRequest, setting: Setting) -> None:
        try:
            result = verification.verify_setting(setting)
        except DecryptionError as error:
            decryption_failures.record_once([setting], during="verify")
            advice = decryption_failures.REASONS[error.reason].advice
            described = decryption_failures.describe(setting, error)
            self.message_user(
                request, f"{described}, so nothing was sent. {advice}", messages.ERROR
            )
            return
        label = VerificationStatus(result.status).label
        detail = redact(result.detail, setting.value)
        level = MESSAGE_LEVELS.get(result.status, messages.WARNING)
        self.message_user(request, f"Verified {setting.key}: {label}. {detail}".strip(), level)


def _change_form_fields(*, editable: bool) -> list[str]:
    """The form's fields with the masked current value shown where the value goes, and the
    write-only input after it for editors only (a view-only page would show it as plain text)."""
    value = ["current_value", "value"] if editable else ["current_value"]
    return [shown for name in MAIN_FIELDS for shown in (value if name == "value" else [name])]


def _url(slug: str, setting_key: str, has_key: bool, can_add: bool) -> str | None:
    """Its keys when it has one; else the add form, pre-filled, for those who may add."""
    if has_key:
        changelist = reverse("admin:settings_app_setting_changelist")
        return f"{changelist}?{urlencode({'provider__exact': slug})}"
    if not can_add:
        return None
    query = urlencode({"key": setting_key, "provider": slug})
    return f"{reverse('admin:settings_app_setting_add')}?{query}"


def change_is_structured(obj: Setting) -> bool:
    return credentials_admin.is_structured(obj.value)


def _when(moment: Any) -> str:
    return date_format(localtime(moment), "SHORT_DATETIME_FORMAT") if moment else EMPTY
