"""The JSON shape of a setting read over the API (and its OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers


class SettingReadSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The setting's key, e.g. openai_api_key.")
    value = serializers.CharField(help_text="The plaintext value.")
    version = serializers.IntegerField(help_text="Changes when the value changes; the ETag.")
    provider = serializers.CharField(help_text="openai, anthropic, ... or other.")
    updated_at = serializers.DateTimeField()


class SettingListItemSerializer(SettingReadSerializer):
    value = serializers.CharField(required=False, help_text="Absent with ?values=false.")


class SettingListSerializer(serializers.Serializer):
    settings = SettingListItemSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
