"""The admin's edges for structured credentials: which form and fields, and per-field masks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from settings_app.encryption.unreadable import UnreadableValue

from . import envelope
from .forms import field_names
from .schema import ALWAYS_STRUCTURED, STRUCTURED
from .value import from_envelope

__all__ = ["field_masks", "is_structured", "main_fields", "overview_entries", "structured_slug"]


def overview_entries(single_key: Iterable[Any]) -> list[tuple[str, str, str]]:
    """(slug, name, default setting key) of every provider the overview lists: the single-key
    registry's, then the structured ones (whose setting is named after the provider)."""
    entries = [(p.slug, p.name, p.setting_key) for p in single_key]
    structured = [STRUCTURED[slug] for slug in sorted(ALWAYS_STRUCTURED)]
    return entries + [(p.slug, p.name, p.slug) for p in structured]


def structured_slug(request: HttpRequest, obj: Any) -> str | None:
    """The structured provider whose form this page shows: the setting's, else the one asked."""
    slug = obj.provider if obj is not None else request.POST.get("provider")
    slug = slug or request.GET.get("provider", "")
    return slug if slug in STRUCTURED else None


def main_fields(slug: str | None, fields: Sequence[str]) -> list[str]:
    """`fields` with the one-string "value" input replaced by the credential's inputs."""
    if slug is None:
        return list(fields)
    return [
        shown for name in fields for shown in (field_names(slug) if name == "value" else [name])
    ]


def is_structured(value: Any) -> bool:
    return not isinstance(value, UnreadableValue) and envelope.is_envelope(value)


def field_masks(value: Any) -> SafeString | None:
    """Each field on its own line, secrets masked by the one masking rule; None for a key."""
    if not is_structured(value):
        return None
    masks = from_envelope(envelope.loads(value)).masks()
    return format_html_join(mark_safe("<br>"), "{}: {}", sorted(masks.items()))
