"""What versions add to the Setting admin: the locked check-and-set and the history pages.

`SettingAdmin` derives from `VersionedSettingAdmin` (instead of `admin.ModelAdmin`), which:
- loads the setting under a row lock when the change form is posted, so the form's version
  check (`forms.StaleWriteCheck`) holds until the save commits;
- adds a "Version" column to the list, a "Versions" link to the change form and a
  "saved as version N" message;
- serves `<id>/versions/` (the history), `<id>/versions/<n>/restore/` and
  `<id>/versions/<n>/destroy/`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..admin_forms.change_context import ChangeContextMixin
from ..models import Setting
from . import tracking, views


class VersionedSettingAdmin(ChangeContextMixin):
    """The versions part of the Setting admin (see the module docstring)."""

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        if not self._locks(request) or from_field is not None:
            return super().get_object(request, object_id, from_field)
        rows = self.get_queryset(request).select_for_update(of=("self",))
        try:
            setting = rows.get(pk=Setting._meta.pk.to_python(object_id))
        except (Setting.DoesNotExist, ValidationError, ValueError):
            return None
        return tracking.mark_fresh(setting)

    def _locks(self, request: HttpRequest) -> bool:
        """A posted form inside the admin's transaction (change and delete views)."""
        in_transaction = connections[router.db_for_write(Setting)].in_atomic_block
        return request.method == "POST" and in_transaction

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = list(super().get_list_display(request))
        after = shown.index("masked_value") + 1 if "masked_value" in shown else len(shown)
        return (*shown[:after], "version_link", *shown[after:])

    @admin.display(description="Version", ordering="version")
    def version_link(self, obj: Setting) -> SafeString:
        return format_html('<a href="{}">v{}</a>', versions_url(self.admin_site, obj), obj.version)

    def change_context(self, request: HttpRequest, object_id: str) -> dict[str, Any]:
        name = f"{self.admin_site.name}:{self._url_name('versions')}"
        return {
            **super().change_context(request, object_id),
            "versions_url": reverse(name, args=[object_id]),
        }

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        assert isinstance(obj, Setting)
        number = tracking.created_version(obj)
        if change and number is not None:
            self.message_user(request, f"The new value of {obj.key} is version {number}.")

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Any) -> Any:
            return self.admin_site.admin_view(view, cacheable=False)

        versions = "<path:object_id>/versions/"
        return [
            path(versions, wrap(self.versions_view), name=self._url_name("versions")),
            path(
                versions + "<int:number>/restore/",
                wrap(self.restore_view),
                name=self._url_name("version_restore"),
            ),
            path(
                versions + "<int:number>/destroy/",
                wrap(self.destroy_view),
                name=self._url_name("version_destroy"),
            ),
            *super().get_urls(),
        ]

    def _url_name(self, suffix: str) -> str:
        return f"settings_app_setting_{suffix}"

    def versions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return views.history_view(request, object_id, model_admin=self)

    def restore_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        return views.restore_view(request, object_id, number, model_admin=self)

    def destroy_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        return views.destroy_view(request, object_id, number, model_admin=self)


def versions_url(site: admin.AdminSite, setting: Setting) -> str:
    return reverse(f"{site.name}:settings_app_setting_versions", args=[quote(setting.pk)])
