"""The admin form for a Setting: the value is write-only, typed in but never shown back."""

from __future__ import annotations

import functools
from typing import Any

from django import forms

from .. import providers
from ..credentials.forms import EXTRAS_ONLY, CredentialFields, KeyWithExtras, declared_fields
from ..encryption.unreadable import UnreadableValue
from ..models import Setting
from ..versions.forms import StaleWriteCheck

# The fields an admin fills in, in order; the Setting admin lays its pages out from them too.
MAIN_FIELDS = (
    "key",
    "provider",
    "value",
    "description",
    "expires_at",
    "rotate_every_days",
    "service_only",
)
KEEP_VALUE_HELP = "Leave blank to keep the current key; paste a new key to replace it."
NEW_VALUE_HELP = "Paste the key. It is stored encrypted and shown masked after saving."
UNREADABLE_HELP = "The stored key cannot be decrypted: paste the key again to replace it."
UNREADABLE_ERROR = (
    "The stored key cannot be decrypted, so it cannot be kept: paste the key again to replace "
    "it, or delete this provider key."
)


class SettingForm(StaleWriteCheck, forms.ModelForm):
    """Add/change form: `value` is required on add, and blank on change keeps the stored key."""

    value = forms.CharField(
        # render_value=False: a bound form re-rendered after an error must not echo the key.
        widget=forms.PasswordInput(
            render_value=False,
            # new-password stops browsers autofilling the admin's own login password here.
            attrs={"autocomplete": "new-password", "spellcheck": "false", "size": 60},
        ),
        required=False,
        strip=True,
        label="Value",
    )

    class Meta:
        model = Setting
        fields = MAIN_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stored plaintext is never form data: not rendered, and not compared in changed_data.
        self.initial.pop("value", None)
        value_field = self.fields.get("value")
        if value_field is not None:
            value_field.required = self.is_adding
            value_field.help_text = self._value_help()

    @property
    def is_adding(self) -> bool:
        return self.instance._state.adding

    @property
    def stored_is_unreadable(self) -> bool:
        return not self.is_adding and isinstance(self.instance.value, UnreadableValue)

    def _value_help(self) -> str:
        if self.is_adding:
            return NEW_VALUE_HELP
        return UNREADABLE_HELP if self.stored_is_unreadable else KEEP_VALUE_HELP

    holds_one_value = True  # False for structured credentials (CredentialFields)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.holds_one_value:
            return cleaned
        if not self.is_adding and not cleaned.get("value") and "value" not in self.errors:
            self._keep_stored_value(cleaned)
        if self.is_adding and "provider" not in self.changed_data and cleaned.get("key"):
            # Left as it was: a conventional key name (openai_api_key) decides.
            cleaned["provider"] = providers.provider_for_key(
                cleaned["key"], default=cleaned.get("provider") or providers.OTHER
            )
        return cleaned

    def _keep_stored_value(self, cleaned: dict[str, Any]) -> None:
        """A blank value keeps the stored key: only if it can be read, and only for the
        provider it was entered for (it must never be sent to another provider's host)."""
        cleaned.pop("value", None)  # construct_instance leaves the stored value alone
        if self.stored_is_unreadable:
            self.add_error("value", forms.ValidationError(UNREADABLE_ERROR, code="unreadable"))
        elif "provider" in self.changed_data and "provider" in cleaned:
            names = dict(providers.CHOICES)
            before, after = names.get(self.initial.get("provider", "")), names[cleaned["provider"]]
            message = (
                f"You changed the provider from {before} to {after}: paste the {after} key "
                "again. A stored key stays with the provider it was entered for."
            )
            self.add_error("value", forms.ValidationError(message, code="provider_changed"))


@functools.cache
def credential_form(slug: str) -> type[SettingForm]:
    """The Setting form for structured provider `slug`: its fields instead of one value."""
    name = f"{slug.title().replace('_', '')}CredentialForm"
    mixin = KeyWithExtras if slug in EXTRAS_ONLY else CredentialFields
    return type(name, (mixin, SettingForm), declared_fields(slug))
