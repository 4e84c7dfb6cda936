"""The admin form for a Setting: the value is write-only, typed in but never shown back."""

from __future__ import annotations

from typing import Any

from django import forms

from . import providers
from .models import Setting

# The fields an admin fills in, in order; the Setting admin lays its pages out from them too.
MAIN_FIELDS = ("key", "provider", "value", "description", "expires_at", "rotate_every_days")
KEEP_VALUE_HELP = "Leave blank to keep the current key; paste a new key to replace it."
NEW_VALUE_HELP = "Paste the key. It is stored encrypted and shown masked after saving."


class SettingForm(forms.ModelForm):
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
            value_field.help_text = NEW_VALUE_HELP if self.is_adding else KEEP_VALUE_HELP

    @property
    def is_adding(self) -> bool:
        return self.instance._state.adding

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.is_adding and not cleaned.get("value"):
            cleaned.pop("value", None)  # construct_instance leaves the stored value alone
        if self.is_adding and "provider" not in self.changed_data and cleaned.get("key"):
            # Left as it was: a conventional key name (openai_api_key) decides.
            cleaned["provider"] = providers.provider_for_key(
                cleaned["key"], default=cleaned.get("provider") or providers.OTHER
            )
        return cleaned
