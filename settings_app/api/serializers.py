"""The JSON shape of a setting read over the API (and its OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from settings_app import providers

PROVIDER_SLUGS = [slug for slug, _ in providers.CHOICES]  # ENUM_NAME_OVERRIDES: ProviderEnum


class SettingReadSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The setting's key, e.g. openai_api_key.")
    value = serializers.CharField(
        allow_null=True,
        help_text="The plaintext value; null for a structured credential (see fields).",
    )
    version = serializers.IntegerField(help_text="Changes when the value changes; the ETag.")
    provider = serializers.ChoiceField(
        choices=PROVIDER_SLUGS,
        help_text="openai, anthropic, ... or other.",
    )
    updated_at = serializers.DateTimeField()
    # The metaclass pops declared fields, so this does not shadow Serializer.fields at run time.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(),
        required=False,
        help_text="Structured credentials only: every field by name, secrets included.",
    )
    env = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Structured credentials only: the environment variables the provider's SDKs "
        "read, e.g. AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION.",
    )
    files = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Structured credentials only: variable -> file content. Write the content to a "
        "private (0600) file and set the variable to its path, e.g. "
        "GOOGLE_APPLICATION_CREDENTIALS -> the service-account JSON.",
    )
    secret_fields = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Structured credentials only: which fields are secrets (mask them in output).",
    )


class SettingListItemSerializer(SettingReadSerializer):
    value = serializers.CharField(required=False, help_text="Absent with ?values=false.")


class SettingListSerializer(serializers.Serializer):
    settings = SettingListItemSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
