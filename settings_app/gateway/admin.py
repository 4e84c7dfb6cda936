"""The admin's "Gateway usage" page, for key admins: each token's month, today and baseline."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .baseline import factor
from .models import GatewayUsage
from .overview import DAYS, token_usage

TEMPLATE = "admin/settings_app/gatewayusage/overview.html"


@admin.register(GatewayUsage)
class GatewayUsageAdmin(admin.ModelAdmin):
    """One page, no rows to edit: usage is written by the gateway only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Gateway usage",
            "subtitle": None,
            "opts": self.opts,
            "tokens": token_usage(),
            "days": DAYS,
            "factor": factor(),
        }
        return TemplateResponse(request, TEMPLATE, context)
