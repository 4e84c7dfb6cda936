"""The admin's "Import .env" page: upload or paste a .env file, preview masks, confirm, import.

Only key admins use it (see PERMISSIONS). Between preview and confirmation the file's text waits
in the session encrypted with keyvault's own cipher, never as plaintext and never in the page:
the preview shows masks, the form never echoes what was pasted, and uploads stay in memory.
The confirmation carries a one-time ticket bound to that ciphertext (`form_tickets`), so two
posts of one preview, even from two copies of the session, import once.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import MemoryFileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from settings_app import audit
from settings_app.crypto import DecryptionError
from settings_app.encryption import keyring
from settings_app.form_tickets import services as form_tickets
from settings_app.models import AuditSource, Setting

from ..twofactor.step_up import step_up_required
from . import service
from .dotenv_source import parse_env
from .plan import WRITES

# Importing writes many keys at once (add, change) and its duplicate report tells which
# setting holds a given value, an oracle on stored keys like `find_secret`: so it is for those
# trusted with plaintexts, who hold reveal_setting (key admins and superusers).
PERMISSIONS = (
    "settings_app.add_setting",
    "settings_app.change_setting",
    "settings_app.reveal_setting",
)
URL_NAME = "settings_app_setting_import_env"
TEMPLATE = "admin/settings_app/import_env.html"
MAX_UPLOAD_BYTES = 256 * 1024
PENDING_TICKET = form_tickets.Purpose("import_env", timedelta(minutes=15))
SESSION_KEY = "keyvault-import-env-pending"
PENDING_CONTEXT = "settings_app.importers.PendingUpload.text"  # binds the session ciphertext


def may_import(user: Any) -> bool:
    """Whether `user` (a request's user, possibly anonymous) may use the page."""
    return bool(user.is_active and user.has_perms(PERMISSIONS))


def import_env_urls(admin_site: admin.AdminSite) -> list[URLPattern]:
    """The page's URL, for `SettingAdmin.get_urls()`."""
    # CSRF is checked inside, after the in-memory upload handler is installed (Django's rule
    # for views that change upload handlers).
    view = csrf_exempt(functools.partial(import_env_view, admin_site=admin_site))
    return [path("import-env/", admin_site.admin_view(view), name=URL_NAME)]


def import_env_url(user: Any) -> str:
    """The page's address for users who may import, else ""."""
    return reverse(f"admin:{URL_NAME}") if may_import(user) else ""


class InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps uploads in memory whatever their size (a temporary file would hold keys on disk),
    and drops any file larger than MAX_UPLOAD_BYTES."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        self.activated = True

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > MAX_UPLOAD_BYTES:
            raise SkipFile
        return super().receive_data_chunk(raw_data, start)


class NoEchoTextarea(forms.Textarea):
    """A textarea that a re-displayed form leaves empty: what was pasted holds keys."""

    def format_value(self, value: Any) -> None:
        return None


class EnvUploadForm(forms.Form):
    env_file = forms.FileField(required=False, label=".env file")
    text = forms.CharField(
        required=False,
        strip=False,
        max_length=MAX_UPLOAD_BYTES,
        label="or paste its contents",
        widget=NoEchoTextarea(attrs={"rows": 8, "spellcheck": "false", "autocomplete": "off"}),
    )
    include_all = forms.BooleanField(
        required=False, label="Also import other *_API_KEY, *_TOKEN and *_SECRET variables"
    )
    replace = forms.BooleanField(
        required=False, label="Replace settings that hold a different value"
    )

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload, text = cleaned.get("env_file"), cleaned.get("text")
        if bool(upload) == bool(text):
            raise ValidationError(
                f"Choose a .env file (at most {MAX_UPLOAD_BYTES // 1024} KiB) or paste its "
                "contents: one of the two."
            )
        if upload:
            try:
                cleaned["content"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError("The file is not UTF-8 text.") from None
            cleaned["label"] = PurePath(upload.name or ".env").name[:100]
        else:
            cleaned["content"], cleaned["label"] = text, "pasted text"
        return cleaned


@dataclass(frozen=True)
class PendingUpload:
    text: str = field(repr=False)
    label: str
    include_all: bool
    replace: bool


# --- the view --------------------------------------------------------------------------------


@sensitive_post_parameters()  # every field may hold keys
@step_up_required
def import_env_view(request: HttpRequest, admin_site: admin.AdminSite) -> HttpResponse:
    """GET: the form. POST: a preview (masks), or, confirmed, the import and its report."""
    if not may_import(request.user):
        raise PermissionDenied
    request.upload_handlers = [InMemoryUploadHandler(request)]
    return _checked_view(request, admin_site)


@csrf_protect
def _checked_view(request: HttpRequest, admin_site: admin.AdminSite) -> HttpResponse:
    if request.method != "POST":
        return _render(request, admin_site, form=EnvUploadForm())
    if request.POST.get("step") == "confirm":
        return _confirm(request, admin_site)
    return _preview(request, admin_site)


@sensitive_variables()
def _preview(request: HttpRequest, admin_site: admin.AdminSite) -> HttpResponse:
    form = EnvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, admin_site, form=form)
    data = form.cleaned_data
    pending = PendingUpload(data["content"], data["label"], data["include_all"], data["replace"])
    report = service.import_env(
        parse_env(pending.text, pending.label),
        include_all=pending.include_all,
        replace_existing=pending.replace,
        dry_run=True,
    )
    importable = any(item.status in WRITES for item in report.items)
    token = _remember(request, pending) if importable else ""
    return _render(request, admin_site, report=report, token=token, source_label=pending.label)


@sensitive_variables()
def _confirm(request: HttpRequest, admin_site: admin.AdminSite) -> HttpResponse:
    pending = _recall(request, request.POST.get("token", ""))
    if pending is None:
        error = "This preview was already used or has expired: choose the file again."
        return _render(request, admin_site, form=EnvUploadForm(), error=error)
    user = request.user
    if not isinstance(user, AbstractBaseUser):  # may_import() let only real users in
        raise PermissionDenied
    env = parse_env(pending.text, pending.label)
    with audit.acting(AuditSource.ADMIN, user=user, request=request):
        report = service.import_env(
            env, include_all=pending.include_all, replace_existing=pending.replace, actor=user
        )
    names = {entry.line: entry.name for entry in env.entries}
    deletable = [(line, names[line], name) for line, name in sorted(report.deletable.items())]
    return _render(
        request, admin_site, report=report, source_label=pending.label, deletable=deletable
    )


def _render(request: HttpRequest, admin_site: admin.AdminSite, **context: Any) -> HttpResponse:
    context = {
        **admin_site.each_context(request),
        "title": "Import .env",
        "subtitle": None,
        "opts": Setting._meta,
        "changelist_url": reverse(f"{admin_site.name}:settings_app_setting_changelist"),
        **context,
    }
    return render(request, TEMPLATE, context)


# --- the file between preview and confirmation ------------------------------------------------


def _cipher() -> Any:
    return keyring.get_cipher(PENDING_CONTEXT)


@sensitive_variables()
def _remember(request: HttpRequest, pending: PendingUpload) -> str:
    """Keep `pending` in the session, encrypted, for one confirmation; returns its ticket."""
    payload = json.dumps(
        {"text": pending.text, "label": pending.label, "all": pending.include_all,
         "replace": pending.replace}
    )  # fmt: skip
    sealed = _cipher().encrypt(payload)
    request.session[SESSION_KEY] = sealed
    return form_tickets.issue(request.user, PENDING_TICKET, _fingerprint(sealed))


@sensitive_variables()
def _recall(request: HttpRequest, ticket: str) -> PendingUpload | None:
    """The upload the preview with `ticket` showed, once; None if used, replaced or expired."""
    sealed = request.session.get(SESSION_KEY)
    if not isinstance(sealed, str):
        return None
    if not form_tickets.spend(ticket, request.user, PENDING_TICKET, _fingerprint(sealed)):
        return None
    del request.session[SESSION_KEY]
    try:
        data = json.loads(_cipher().decrypt(sealed))
    except DecryptionError:
        return None
    return PendingUpload(data["text"], data["label"], data["all"], data["replace"])


def _fingerprint(sealed: str) -> str:
    """Binds a ticket to one preview's ciphertext (fresh nonce: no two are alike), so a ticket
    is refused with any other session's pending file."""
    return hashlib.sha256(sealed.encode()).hexdigest()
