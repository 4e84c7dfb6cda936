"""One way for an admin to add context to its change page, so no admin overrides change_view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse


class ChangeContextMixin(admin.ModelAdmin):
    """Adds `change_context()` to the change page's context; the caller's extra context wins."""

    def change_context(self, request: HttpRequest, object_id: str) -> dict[str, Any]:
        """What the change page of `object_id` shows besides the form; extend with super()."""
        return {}

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        context = {**self.change_context(request, object_id), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)
