"""Structured credentials stored as one canonical envelope, read back whole as a Credential."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from settings_app.credentials import envelope
from settings_app.credentials.errors import StructuredCredentialError
from settings_app.credentials.services import set_credential
from settings_app.models import Setting
from settings_app.versions.search import find_settings_holding

from . import samples

pytestmark = pytest.mark.django_db


def test_an_azure_credential_is_one_encrypted_canonical_envelope() -> None:
    setting = set_credential("azure", "azure_openai", samples.AZURE)
    stored = Setting.objects.get(key="azure").value
    assert json.loads(stored) == {
        "schema": "azure_openai/1",
        "config": {
            "resource_name": "contoso-eastus",
            "api_version": "2024-10-21",
            "deployment": "gpt-4o",
        },
        "secrets": {"api_key": samples.AZURE_KEY},
    }
    assert stored == json.dumps(json.loads(stored), sort_keys=True, separators=(",", ":"))
    raw = Setting.objects.filter(pk=setting.pk).values_list("value", flat=True)
    assert samples.AZURE_KEY not in str(raw.query) and "contoso" not in _raw_column(setting)


def _raw_column(setting: Setting) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT value FROM settings_app_setting WHERE id = %s", [setting.pk])
        return str(cursor.fetchone()[0])


def test_get_credential_returns_an_immutable_credential_with_sdk_variables() -> None:
    set_credential("azure", "azure_openai", samples.AZURE)
    credential = Setting.objects.get_credential("azure")
    assert credential is not None
    assert credential.provider == "azure_openai"
    assert credential.secrets == {"api_key": samples.AZURE_KEY}
    assert credential.env() == {
        "AZURE_OPENAI_API_KEY": samples.AZURE_KEY,
        "AZURE_OPENAI_ENDPOINT": "https://contoso-eastus.openai.azure.com/",
        "OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_DEPLOYMENT": "gpt-4o",
    }
    with pytest.raises(TypeError):
        credential.config["resource_name"] = "evil"  # type: ignore[index]
    assert samples.AZURE_KEY not in repr(credential)


def test_entra_and_bedrock_and_vertex_variables() -> None:
    set_credential("entra", "azure_openai", samples.AZURE_ENTRA)
    set_credential(
        "aws",
        "bedrock",
        {
            **samples.BEDROCK,
            "access_key_id": "ASIAIOSFODNN7EXAMPLE",
            "session_token": "FwoGZXIvYXdzEBYaDEXAMPLETOKEN",
        },
    )
    set_credential("aws_key", "bedrock", samples.BEDROCK_API_KEY)
    set_credential("vertex", "vertex_ai", samples.vertex_fields())
    entra = Setting.objects.get_credential("entra").env()  # type: ignore[union-attr]
    assert entra["AZURE_CLIENT_SECRET"] == samples.AZURE_ENTRA["client_secret"]
    assert {"AZURE_TENANT_ID", "AZURE_CLIENT_ID"} <= set(entra)
    assert Setting.objects.get_credential("aws").env() == {  # type: ignore[union-attr]
        "AWS_ACCESS_KEY_ID": "ASIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": samples.AWS_SECRET,
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEBYaDEXAMPLETOKEN",
        "AWS_REGION": "us-east-1",
    }
    assert Setting.objects.get_credential("aws_key").env() == {  # type: ignore[union-attr]
        "AWS_BEARER_TOKEN_BEDROCK": samples.BEDROCK_API_KEY["api_key"],
        "AWS_REGION": "eu-west-1",
    }
    vertex = Setting.objects.get_credential("vertex")
    assert vertex is not None
    assert vertex.env() == {
        "GOOGLE_CLOUD_PROJECT": "my-project-123",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
    }
    document = json.loads(vertex.files()["GOOGLE_APPLICATION_CREDENTIALS"])
    assert document["private_key"] == samples.private_key_pem()  # line breaks kept exactly
    assert document["type"] == "service_account"


def test_openai_gains_organization_and_project() -> None:
    set_credential(
        "openai_api_key",
        "openai",
        {
            "api_key": "sk-proj-abcdefghijklmnop1234",
            "organization": "org-abcdefgh12",
            "project": "proj_abcdefgh12",
        },
    )
    assert Setting.objects.get_credential("openai_api_key").env() == {  # type: ignore[union-attr]
        "OPENAI_API_KEY": "sk-proj-abcdefghijklmnop1234",
        "OPENAI_ORG_ID": "org-abcdefgh12",
        "OPENAI_PROJECT_ID": "proj_abcdefgh12",
    }


def test_get_value_on_a_structured_credential_names_get_credential() -> None:
    set_credential("azure", "azure_openai", samples.AZURE)
    with pytest.raises(StructuredCredentialError, match=r"get_credential\('azure'\)") as raised:
        Setting.objects.get_value("azure")
    assert samples.AZURE_KEY not in str(raised.value)


def test_a_single_key_setting_is_a_credential_with_its_usual_variable() -> None:
    Setting.objects.set_value("anthropic_api_key", "sk-ant-api03-abcdefghijkl")
    credential = Setting.objects.get_credential("anthropic_api_key")
    assert credential is not None
    assert credential.secrets == {"api_key": "sk-ant-api03-abcdefghijkl"}
    assert credential.env() == {"ANTHROPIC_API_KEY": "sk-ant-api03-abcdefghijkl"}
    assert credential.files() == {}
    assert Setting.objects.get_credential("missing") is None


@pytest.mark.parametrize(
    ("provider", "fields", "field"),
    [
        ("azure_openai", {**samples.AZURE, "resource_name": "httpbin.org#"}, "resource_name"),
        ("azure_openai", {**samples.AZURE, "resource_name": "evil.com/x"}, "resource_name"),
        ("azure_openai", {**samples.AZURE, "endpoint_suffix": "evil.example"}, "endpoint_suffix"),
        ("vertex_ai", samples.vertex_fields(location="169.254.169.254#"), "location"),
        ("vertex_ai", samples.vertex_fields(token_uri="https://evil.example/token"), "token_uri"),
        ("vertex_ai", samples.vertex_fields(universe_domain="evil.example"), "universe_domain"),
        ("bedrock", {**samples.BEDROCK, "region": "us-east-1.evil.com#"}, "region"),
    ],
)
def test_names_that_would_redirect_a_secret_are_refused(
    provider: str, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        set_credential("cred", provider, fields)
    assert field in raised.value.message_dict
    assert not Setting.objects.filter(key="cred").exists()


def test_a_temporary_access_key_needs_its_session_token() -> None:
    with pytest.raises(ValidationError) as raised:
        set_credential(
            "aws", "bedrock", {**samples.BEDROCK, "access_key_id": "ASIAIOSFODNN7EXAMPLE"}
        )
    assert "session_token" in raised.value.message_dict


def test_an_incomplete_shape_says_which_fields_are_needed() -> None:
    with pytest.raises(ValidationError, match="resource name, api version, deployment, api key"):
        set_credential("azure", "azure_openai", {"resource_name": "contoso"})


def test_a_structured_provider_refuses_a_single_string() -> None:
    with pytest.raises(ValidationError, match="several fields"):
        Setting.objects.set_value(
            "azure", "0123456789abcdef0123456789abcdef", provider="azure_openai"
        )


def test_an_envelope_of_another_provider_is_refused() -> None:
    stored = envelope.build("bedrock", samples.BEDROCK).dumps()
    with pytest.raises(ValidationError, match="for AWS Bedrock"):
        Setting.objects.set_value("azure", stored, provider="azure_openai")


def test_versions_and_rollback_work_per_setting() -> None:
    set_credential("aws", "bedrock", samples.BEDROCK)
    set_credential("aws", "bedrock", {**samples.BEDROCK, "region": "eu-west-1"})
    assert Setting.objects.get_credential("aws").config["region"] == "eu-west-1"  # type: ignore[union-attr]
    Setting.objects.rollback("aws", 1)
    assert Setting.objects.get_credential("aws").config["region"] == "us-east-1"  # type: ignore[union-attr]


def test_find_secret_finds_the_whole_envelope() -> None:
    set_credential("aws", "bedrock", samples.BEDROCK)
    stored = Setting.objects.get(key="aws").value
    assert find_settings_holding(stored).keys == ["aws"]


def test_find_secret_finds_a_credential_by_any_one_secret_field() -> None:
    set_credential("entra", "azure_openai", samples.AZURE_ENTRA)
    set_credential("aws", "bedrock", samples.BEDROCK)
    Setting.objects.set_value("openai_api_key", "sk-proj-abcdefghijklmnop1234")
    assert find_settings_holding(samples.AZURE_ENTRA["client_secret"]).keys == ["entra"]
    assert find_settings_holding(f"  {samples.AWS_SECRET}\n").keys == ["aws"]
    assert find_settings_holding("sk-proj-abcdefghijklmnop1234").keys == ["openai_api_key"]
    # A routing or plain field is not a secret: it finds nothing.
    assert find_settings_holding(samples.BEDROCK["access_key_id"]).keys == []
    assert find_settings_holding(samples.AZURE_ENTRA["tenant_id"]).keys == []


def test_the_secret_fingerprints_follow_the_credential() -> None:
    set_credential("aws", "bedrock", samples.BEDROCK)
    set_credential("aws", "bedrock", {**samples.BEDROCK, "secret_access_key": "x" * 40})
    assert find_settings_holding(samples.AWS_SECRET).keys == []
    assert find_settings_holding("x" * 40).keys == ["aws"]


def test_a_versions_mask_shows_only_its_secrets_masked() -> None:
    setting = set_credential("azure", "azure_openai", samples.AZURE)
    assert setting.versions.get(version=1).mask == "api_key=…cdef"


def test_reencrypt_carries_a_credential_to_new_keys(settings: Any) -> None:
    from settings_app import reencryption
    from tests.support.raw_rows import drop_fallbacks, rotate_deterministic, rotate_primary

    set_credential("aws", "bedrock", samples.BEDROCK)
    rotate_primary(settings)
    rotate_deterministic(settings)
    # During the rotation the old fingerprints still match (every configured key is tried).
    assert find_settings_holding(samples.AWS_SECRET).keys == ["aws"]
    specs = reencryption.encrypted_models(["settings_app.Setting"])
    assert reencryption.reencrypt(specs, batch_size=10, progress=lambda rows: None).failed == 0
    drop_fallbacks(settings)
    credential = Setting.objects.get_credential("aws")
    assert credential is not None and credential.fields == samples.BEDROCK
    assert find_settings_holding(stored_value("aws")).keys == ["aws"]


def stored_value(key: str) -> str:
    return str(Setting.objects.get(key=key).value)


def test_saving_only_the_value_refreshes_the_field_fingerprints() -> None:
    setting = set_credential("aws", "bedrock", samples.BEDROCK)
    replaced = {**samples.BEDROCK, "secret_access_key": "y" * 40}
    setting.value = envelope.build("bedrock", replaced).dumps()
    setting.save(update_fields=["value"])
    assert find_settings_holding("y" * 40).keys == ["aws"]
    assert find_settings_holding(samples.AWS_SECRET).keys == []
