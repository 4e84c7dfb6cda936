"""`{% import_env_url %}`: the "Import .env" link target for users who may import, else ""."""

from __future__ import annotations

from typing import Any

from django import template

from settings_app.importers import admin_views

register = template.Library()


@register.simple_tag(takes_context=True)
def import_env_url(context: dict[str, Any]) -> str:
    return admin_views.import_env_url(context["request"].user)
