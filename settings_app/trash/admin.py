"""The "Deleted keys" admin page: what is in the trash, with restore and purge now.

Key admins (who may delete keys) see it and use both; purge asks for a confirmation first.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.timezone import localtime

from ..encryption.unreadable import UnreadableValue
from ..providers.masking import mask
from ..twofactor.step_up import step_up_redirect, step_up_satisfied
from . import services
from .models import DeletedSetting

KEY_ADMIN_PERMISSION = "settings_app.delete_setting"  # who may delete may restore and purge
PURGE_TEMPLATE = "admin/settings_app/deletedsetting/purge_confirmation.html"


@admin.register(DeletedSetting)
class DeletedSettingAdmin(admin.ModelAdmin):
    list_display = ("key", "provider", "masked_value", "version", "deleted", "purged_after")
    list_display_links = None
    search_fields = ("key",)
    actions = ("restore_selected", "purge_selected")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(KEY_ADMIN_PERMISSION)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_restore_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_purge_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # purge (below) is the only way out, after a confirmation

    @admin.display(description="Value")
    def masked_value(self, obj: DeletedSetting) -> str:
        if isinstance(obj.value, UnreadableValue):
            return "cannot be decrypted"
        return mask(obj.value or "", obj.provider)

    @admin.display(description="Deleted", ordering="deleted_at")
    def deleted(self, obj: DeletedSetting) -> str:
        return _shown(obj.deleted_at)

    @admin.display(description="Purged after")
    def purged_after(self, obj: DeletedSetting) -> str:
        if obj.deleted_at is None:
            return ""
        return _shown(obj.deleted_at + timedelta(days=services.trash_days()))

    @admin.action(description="Restore the selected keys", permissions=["restore"])
    def restore_selected(self, request: HttpRequest, queryset: QuerySet[DeletedSetting]) -> None:
        keys = []
        for setting in queryset.order_by("key"):
            services.restore(setting, actor=request.user)  # type: ignore[arg-type]
            keys.append(setting.key)
        self.message_user(request, f"Restored {', '.join(keys)}.", messages.SUCCESS)

    @admin.action(description="Purge the selected keys now (no undo)", permissions=["purge"])
    def purge_selected(
        self, request: HttpRequest, queryset: QuerySet[DeletedSetting]
    ) -> HttpResponseBase | None:
        if not step_up_satisfied(request):  # purging has no undo: a fresh second factor first
            return step_up_redirect(request)
        settings = list(queryset.order_by("key"))
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": "Purge deleted keys for good?",
                "settings": settings,
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, PURGE_TEMPLATE, context)
        for setting in settings:
            services.purge(setting, actor=request.user)  # type: ignore[arg-type]
        keys = ", ".join(s.key for s in settings)
        self.message_user(request, f"Purged {keys} and their versions.", messages.SUCCESS)
        return None


def _shown(moment: Any) -> str:
    return date_format(localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""
