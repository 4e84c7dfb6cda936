"""The reminders' admin pieces: the due banner, the "Due" filter, a key's age and next rotation.

`SettingAdmin` (settings_app/admin.py) mixes in `RotationAdminMixin`, lists `DueListFilter`
and passes `due_banner()` to the Provider keys page. Nothing here reads a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from ..models import Setting
from . import due
from .policy import MAX_KEY_AGE

ROTATION_FIELDS = ("key_age", "next_rotation")
ROTATION_FIELDSET = ("Age and rotation", {"fields": ROTATION_FIELDS})
NO_POLICY = f"No rotation policy: set “rotate every (days)” here, or {MAX_KEY_AGE} for every key."


@dataclass(frozen=True)
class DueRow:
    """One line of the banner: a due key, its change page, and why it is due."""

    key: str
    url: str
    reasons: str


def due_banner() -> list[DueRow]:
    """Every due key with a link to it, for the banner on the Provider keys page."""
    return [
        DueRow(
            found.key,
            reverse("admin:settings_app_setting_change", args=[found.setting.pk]),
            "; ".join(reason.message for reason in found.reasons),
        )
        for found in due.due_settings()
    ]


class DueListFilter(admin.SimpleListFilter):
    """Due: expired or expiring within 30 days, rotation overdue, or verification due."""

    title = "due"
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Due"), ("no", "Not due")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() not in {"yes", "no"}:
            return queryset
        due_pks = [found.setting.pk for found in due.due_settings(queryset=queryset)]
        if self.value() == "yes":
            return queryset.filter(pk__in=due_pks)
        return queryset.exclude(pk__in=due_pks)


class RotationAdminMixin:
    """Read-only "Age" and "Next rotation" on the change page."""

    @admin.display(description="Age")
    def key_age(self, obj: Setting) -> str:
        changed = date_format(timezone.localtime(due.value_changed(obj)), "SHORT_DATE_FORMAT")
        return f"{due.count_days(due.key_age(obj).days)} (value set on {changed})"

    @admin.display(description="Next rotation")
    def next_rotation(self, obj: Setting) -> str:
        when = due.next_rotation(obj)
        if when is None:
            return NO_POLICY
        shown = date_format(timezone.localtime(when), "SHORT_DATE_FORMAT")
        return f"{shown} (overdue)" if when <= timezone.now() else shown
