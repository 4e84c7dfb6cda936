"""The admin's "new service token" form: lines of keys and networks, a lifetime in days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator

from . import expiry, networks, scope
from .models import NAME_MAX_LENGTH

# Model field -> form field, for errors the service reports by model field.
FORM_FIELD_FOR = {"expires_at": "expires_in_days"}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ServiceTokenForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="Who uses it, e.g. billing-worker. Letters, digits, '_', '-' and '.'.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Settings it may read: one key or pattern per line, e.g. openai_api_key or "
        "anthropic_*.",
    )
    gateway_scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Gateway scope",
        help_text="Settings whose provider it may call through /gateway/&lt;key&gt;/ without "
        "ever reading the key: one key or pattern per line. Empty: no gateway use.",
    )
    daily_token_limit = forms.IntegerField(
        min_value=1,
        required=False,
        help_text="Gateway requests answer 429 once today's input + output tokens reach this; "
        "empty: no limit.",
    )
    write_scope = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Write scope",
        help_text="Keys or patterns it may also write, roll back, delete and verify over the "
        "API, one per line; empty (the default) means it only reads.",
    )
    expires_in_days = forms.IntegerField(
        min_value=1, initial=expiry.DEFAULT_LIFETIME.days, label="Expires in (days)"
    )
    allowed_networks = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="One CIDR per line (10.0.0.0/8, 2001:db8::/32); empty allows any address.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = expiry.max_days()
        field = self.fields["expires_in_days"]
        field.validators.append(MaxValueValidator(limit))  # the setting is read per form
        field.widget.attrs["max"] = limit
        field.help_text = f"At most {limit} days (KEYVAULT_TOKEN_MAX_DAYS)."

    def clean_scope(self) -> list[str]:
        patterns = _lines(self.cleaned_data["scope"])
        scope.validate_patterns(patterns)
        return patterns

    def clean_write_scope(self) -> list[str]:
        patterns = _lines(self.cleaned_data["write_scope"])
        scope.validate_write_scope(patterns)
        return patterns

    def clean_gateway_scope(self) -> list[str]:
        patterns = _lines(self.cleaned_data["gateway_scope"])
        scope.validate_patterns(patterns)
        return patterns

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [data.get("scope"), data.get("gateway_scope")]
        if chosen == [[], []]:  # both cleaned, both empty
            self.add_error("scope", scope.EMPTY_SCOPE)
        return data

    def clean_allowed_networks(self) -> list[str]:
        return networks.normalise_networks(_lines(self.cleaned_data["allowed_networks"]))

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data as `services.create_token` arguments."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "scope": data["scope"],
            "write_scope": data["write_scope"],
            "lifetime": timedelta(days=data["expires_in_days"]),
            "allowed_networks": data["allowed_networks"],
            "description": data["description"],
            "gateway_scope": data["gateway_scope"],
            "daily_token_limit": data["daily_token_limit"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the service's (model's) validation errors on the matching form fields."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for model_field, errors in error.error_dict.items():
            name = FORM_FIELD_FOR.get(model_field, model_field)
            self.add_error(name if name in self.fields else None, errors)
