"""The JSON shapes of the write endpoints (requests and answers) and their OpenAPI schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from settings_app import providers
from settings_app.credentials import schema as credential_schema

# Single-key providers and structured ones (named in keyvault_site/settings.py's
# ENUM_NAME_OVERRIDES, so the schema's enum has a stable name).
WRITABLE_PROVIDERS = [*providers.CHOICES, *credential_schema.CHOICES]


class SettingWriteSerializer(serializers.Serializer):
    # Not trimmed here: the provider rules trim and judge the value, as in the admin.
    value = serializers.CharField(
        trim_whitespace=False,
        allow_blank=True,
        required=False,
        help_text="The new plaintext value (or fields, for a structured credential).",
    )
    # The metaclass moves declared fields off the class, so this does not hide Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(trim_whitespace=False, allow_blank=True),
        required=False,
        help_text="A structured credential's fields (Azure OpenAI, Bedrock, Vertex AI...); those "
        'left out keep their stored values, "" clears one. Changing a routing field (endpoint, '
        "region...) needs every secret field in the same write.",
    )
    provider = serializers.ChoiceField(
        WRITABLE_PROVIDERS,
        required=False,
        help_text="For a new key; default: inferred from the key.",
    )
    description = serializers.CharField(required=False, allow_blank=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "value" in data and "fields" in data:
            raise serializers.ValidationError("Send value (one string) or fields, not both.")
        if "value" not in data and "fields" not in data:
            raise serializers.ValidationError(
                {"value": "This field is required (or fields, for a structured credential)."}
            )
        return data


class WriteResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField(help_text="The version now current; the new ETag.")
    provider = serializers.CharField()
    updated_at = serializers.DateTimeField()
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="Advice, e.g. an unusual prefix for the provider."
    )


class RollbackSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The version to make current.")


class VerifyResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    status = serializers.CharField(help_text="valid, restricted, invalid, no_quota, ...")
    detail = serializers.CharField()
    verified_at = serializers.DateTimeField()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current_version = serializers.IntegerField(help_text="0 when the setting does not exist.")
