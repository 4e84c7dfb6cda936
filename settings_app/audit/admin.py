"""The audit trail in the admin: browsable and filterable, never writable, by anyone.

Importing this module registers AuditEvent with `admin.site`; `settings_app/admin.py`, which
Django's admin autodiscovery imports, imports it. Events are written only by
`settings_app.audit.record()`; `manage.py verify_audit` checks them.
"""

from __future__ import annotations

import json

from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "setting_key", "actor_label", "source", "ip")
    list_filter = (
        "action",
        "source",
        ("actor", admin.RelatedOnlyFieldListFilter),
        "setting_key",
        "created_at",
    )
    search_fields = ("setting_key", "actor_label", "ip")
    date_hierarchy = "created_at"
    fields = (
        "sequence",
        "created_at",
        "action",
        "setting_key",
        "actor_label",
        "actor",
        "source",
        "ip",
        "user_agent",
        "details_json",
        "previous_hash",
        "hash",
    )
    readonly_fields = fields
    show_full_result_count = False  # a COUNT(*) per page is costly on a long trail

    @admin.display(description="details")
    def details_json(self, event: AuditEvent) -> str:
        return json.dumps(event.details, indent=2, sort_keys=True)

    # Append-only for everyone, superusers included: the trail records, it is not edited.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
