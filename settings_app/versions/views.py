"""The admin pages of versions: the history, restore and destroy. Never a plaintext.

Thin over `services`: each view checks the permission, calls one service, and says how it went.
Mounted by `VersionedSettingAdmin.get_urls()` inside `admin_site.admin_view` (staff login,
CSRF, no caching).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..models import Setting, VerificationStatus
from ..providers.classification import VerificationResult
from . import history, services
from .errors import VersionError
from .forms import RestoreForm
from .models import SettingVersion

ROLLBACK_PERMISSION = "settings_app.rollback_setting"
TEMPLATES = "admin/settings_app/setting/versions/"
# Outcomes of "verify before restoring" that need the admin to confirm the restore.
REJECTED = frozenset({VerificationStatus.INVALID})


@require_http_methods(["GET", "HEAD"])
def history_view(
    request: HttpRequest, object_id: str, *, model_admin: admin.ModelAdmin
) -> HttpResponse:
    setting = _setting(model_admin, request, object_id)
    if not model_admin.has_view_or_change_permission(request, setting):
        raise PermissionDenied
    context = {
        **_context(model_admin, request, setting, f"Versions of {setting.key}"),
        "rows": history.history(setting),
        "can_restore": request.user.has_perm(ROLLBACK_PERMISSION),
        "can_destroy": model_admin.has_delete_permission(request, setting),
    }
    return render(request, TEMPLATES + "history.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def restore_view(
    request: HttpRequest, object_id: str, number: int, *, model_admin: admin.ModelAdmin
) -> HttpResponse:
    setting = _setting(model_admin, request, object_id)
    if not request.user.has_perm(ROLLBACK_PERMISSION):
        raise PermissionDenied
    row = _version(setting, number)
    if request.method != "POST":
        form = RestoreForm(initial={"opened_at": setting.version})
        return _restore_page(model_admin, request, setting, row, form)
    form = RestoreForm(request.POST)
    if not form.is_valid():
        return _restore_page(model_admin, request, setting, row, form)
    return _restore(model_admin, request, setting, row, form.cleaned_data)


@require_http_methods(["GET", "HEAD", "POST"])
def destroy_view(
    request: HttpRequest, object_id: str, number: int, *, model_admin: admin.ModelAdmin
) -> HttpResponse:
    setting = _setting(model_admin, request, object_id)
    if not model_admin.has_delete_permission(request, setting):
        raise PermissionDenied
    row = _version(setting, number)
    if request.method != "POST":
        context = {
            **_context(model_admin, request, setting, f"Destroy version {number} of {setting.key}"),
            "row": row,
        }
        return render(request, TEMPLATES + "destroy.html", context)
    try:
        services.destroy_version(setting.key, number)
    except VersionError as error:
        return _back(model_admin, request, setting, str(error), messages.ERROR)
    done = f"Version {number} of {setting.key} was destroyed: its encrypted value is gone."
    return _back(model_admin, request, setting, done, messages.SUCCESS)


# --- restore ------------------------------------------------------------------------------


def _restore(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    setting: Setting,
    row: SettingVersion,
    data: dict[str, Any],
) -> HttpResponse:
    """Verify first (unless unticked); a rejected version waits for the admin's confirmation."""
    checked = _confirmed_check(request, setting, row) if data["confirmed"] else None
    if checked is None and data["verify"]:
        try:
            checked = services.verify_version(setting, row.version)
        except VersionError as error:
            return _back(model_admin, request, setting, str(error), messages.ERROR)
        if checked is not None and checked.status in REJECTED:
            _remember_check(request, setting, row, checked)
            form = RestoreForm(initial={**data, "confirmed": True})
            return _restore_page(model_admin, request, setting, row, form, rejected=checked)
    try:
        restored = services.rollback(
            setting.key, row.version, expected_version=data["opened_at"], verification=checked
        )
    except VersionError as error:
        return _back(model_admin, request, setting, str(error), messages.ERROR)
    return _back(model_admin, request, setting, _restored_message(restored, row, checked))


def _restored_message(
    setting: Setting, row: SettingVersion, checked: VerificationResult | None
) -> str:
    said = ""
    if checked is not None:
        said = f" {setting.get_provider_display()} says: "
        said += f"{VerificationStatus(checked.status).label}. {checked.detail}"
    return (
        f"Restored version {row.version} of {setting.key} ({row.mask}) as version "
        f"{setting.version}.{said}"
    ).strip()


def _check_key(setting: Setting, row: SettingVersion) -> str:
    return f"keyvault-restore-check-{setting.pk}-{row.version}"


def _remember_check(
    request: HttpRequest, setting: Setting, row: SettingVersion, checked: VerificationResult
) -> None:
    """Kept server-side: the confirmation cannot forge the status the restore records."""
    request.session[_check_key(setting, row)] = [checked.status, checked.detail]


def _confirmed_check(
    request: HttpRequest, setting: Setting, row: SettingVersion
) -> VerificationResult | None:
    remembered = request.session.pop(_check_key(setting, row), None)
    return None if remembered is None else VerificationResult(*remembered)


def _restore_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    setting: Setting,
    row: SettingVersion,
    form: RestoreForm,
    rejected: VerificationResult | None = None,
) -> HttpResponse:
    title = f"Restore version {row.version} of {setting.key}"
    context = {
        **_context(model_admin, request, setting, title),
        "row": row,
        "form": form,
        "rejected": rejected,
        "rejected_label": VerificationStatus(rejected.status).label if rejected else "",
        "provider_name": setting.get_provider_display(),
    }
    return render(request, TEMPLATES + "restore.html", context)


# --- shared -------------------------------------------------------------------------------


def _setting(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> Setting:
    """The setting without its value: these pages never need it (not even readable)."""
    try:
        setting = model_admin.get_queryset(request).defer("value").get(pk=unquote(object_id))
    except (Setting.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such provider key.") from None
    assert isinstance(setting, Setting)
    return setting


def _version(setting: Setting, number: int) -> SettingVersion:
    try:
        return setting.versions.defer("value").get(version=number)
    except SettingVersion.DoesNotExist:
        raise Http404(f"{setting.key} has no version {number}.") from None


def _back(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    setting: Setting,
    message: str,
    level: int = messages.SUCCESS,
) -> HttpResponse:
    model_admin.message_user(request, message, level)
    site = model_admin.admin_site.name
    url = reverse(f"{site}:settings_app_setting_versions", args=[quote(setting.pk)])
    return HttpResponseRedirect(url)


def _context(
    model_admin: admin.ModelAdmin, request: HttpRequest, setting: Setting, title: str
) -> dict[str, Any]:
    site = model_admin.admin_site
    return {
        **site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": Setting._meta,
        "original": setting,
        "change_url": reverse(f"{site.name}:settings_app_setting_change", args=[quote(setting.pk)]),
        "versions_url": reverse(
            f"{site.name}:settings_app_setting_versions", args=[quote(setting.pk)]
        ),
    }
