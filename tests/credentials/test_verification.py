"""Verification of structured credentials against stand-ins that check what is sent."""

from __future__ import annotations

from typing import Any

import pytest

from settings_app.credentials.services import set_credential
from settings_app.models import Setting
from settings_app.providers.verification import verify_setting
from tests.support.cloud_standins import GOOGLE_TOKEN_URI, Standins

from . import samples

pytestmark = pytest.mark.django_db


def verify(key: str, provider: str, fields: dict[str, str]) -> tuple[str, str]:
    setting = set_credential(key, provider, fields)
    result = verify_setting(setting)
    stored = Setting.objects.get(key=key)
    assert (stored.verification_status, stored.verification_detail) == (
        result.status,
        result.detail,
    )
    return result.status, result.detail


# --- Azure OpenAI -------------------------------------------------------------------------------
def test_azure_key_is_sent_in_the_api_key_header(standins: Standins) -> None:
    standins.azure_keys[samples.AZURE_KEY] = 200
    assert verify("azure", "azure_openai", samples.AZURE)[0] == "valid"
    sent = standins.requests[-1]
    assert sent.path == "/azure/openai/models?api-version=2024-10-21"
    assert sent.headers["api-key"] == samples.AZURE_KEY
    assert "authorization" not in sent.headers


@pytest.mark.parametrize(
    ("status", "expected"), [(401, "invalid"), (403, "restricted"), (500, "unreachable")]
)
def test_azure_answers_are_classified(standins: Standins, status: int, expected: str) -> None:
    standins.azure_keys[samples.AZURE_KEY] = status
    assert verify("azure", "azure_openai", samples.AZURE)[0] == expected


def test_an_unknown_azure_key_is_invalid(standins: Standins) -> None:
    assert verify("azure", "azure_openai", samples.AZURE)[0] == "invalid"


def test_entra_asks_for_a_token_first_then_lists_with_it(standins: Standins) -> None:
    standins.entra_apps[samples.AZURE_ENTRA["client_id"]] = samples.AZURE_ENTRA["client_secret"]
    assert verify("entra", "azure_openai", samples.AZURE_ENTRA)[0] == "valid"
    token_request, listing = standins.requests
    assert token_request.path == f"/login/{samples.AZURE_ENTRA['tenant_id']}/oauth2/v2.0/token"
    assert samples.AZURE_ENTRA["client_secret"] not in token_request.path
    assert listing.headers["authorization"].startswith("Bearer ")


def test_a_wrong_entra_secret_is_invalid_and_nothing_is_listed(standins: Standins) -> None:
    standins.entra_apps[samples.AZURE_ENTRA["client_id"]] = "another-secret-value-000"
    status, detail = verify("entra", "azure_openai", samples.AZURE_ENTRA)
    assert status == "invalid" and "Entra ID refused" in detail
    assert len(standins.requests) == 1


def test_without_configuration_the_azure_host_is_built_from_the_resource_name(
    settings: Any,
) -> None:
    from settings_app.credentials import urls

    assert urls.azure_base("contoso-eastus") == "https://contoso-eastus.openai.azure.com"
    with pytest.raises(urls.UnsafeURLError):
        urls.azure_endpoint("httpbin.org#")
    with pytest.raises(urls.UnsafeURLError):
        urls.azure_endpoint("contoso", "evil.example")


# --- Bedrock ------------------------------------------------------------------------------------
def test_bedrock_requests_are_sigv4_signed(standins: Standins) -> None:
    standins.aws_keys[samples.BEDROCK["access_key_id"]] = (samples.AWS_SECRET, "valid")
    assert verify("aws", "bedrock", samples.BEDROCK)[0] == "valid"
    sent = standins.requests[-1]
    assert sent.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIA")
    assert samples.AWS_SECRET not in str(sent.headers)


def test_a_temporary_key_signs_with_its_session_token(standins: Standins) -> None:
    fields = {
        **samples.BEDROCK,
        "access_key_id": "ASIAIOSFODNN7EXAMPLE",
        "session_token": "FwoGZXIvYXdzEBYaDEXAMPLETOKEN",
    }
    standins.aws_keys["ASIAIOSFODNN7EXAMPLE"] = (samples.AWS_SECRET, "valid")
    assert verify("aws", "bedrock", fields)[0] == "valid"
    assert standins.requests[-1].headers["x-amz-security-token"] == fields["session_token"]


@pytest.mark.parametrize(
    ("kind", "expected", "named"),
    [
        ("denied", "restricted", "AccessDeniedException"),
        ("expired", "invalid", "ExpiredTokenException"),
    ],
)
def test_aws_403s_are_told_apart(standins: Standins, kind: str, expected: str, named: str) -> None:
    standins.aws_keys[samples.BEDROCK["access_key_id"]] = (samples.AWS_SECRET, kind)
    status, detail = verify("aws", "bedrock", samples.BEDROCK)
    assert (status, named in detail) == (expected, True)


def test_an_unknown_access_key_is_invalid(standins: Standins) -> None:
    status, detail = verify("aws", "bedrock", samples.BEDROCK)
    assert (status, "UnrecognizedClientException" in detail) == ("invalid", True)


def test_a_wrong_secret_fails_the_signature_and_is_invalid(standins: Standins) -> None:
    standins.aws_keys[samples.BEDROCK["access_key_id"]] = ("x" * 40, "valid")
    status, detail = verify("aws", "bedrock", samples.BEDROCK)
    assert (status, "InvalidSignatureException" in detail) == ("invalid", True)


def test_a_bedrock_api_key_is_sent_as_a_bearer_token(standins: Standins) -> None:
    standins.bedrock_api_keys[samples.BEDROCK_API_KEY["api_key"]] = "valid"
    assert verify("aws", "bedrock", samples.BEDROCK_API_KEY)[0] == "valid"
    assert (
        standins.requests[-1].headers["authorization"]
        == f"Bearer {samples.BEDROCK_API_KEY['api_key']}"
    )


# --- Vertex AI ----------------------------------------------------------------------------------
def test_vertex_signs_an_assertion_with_the_right_claims_then_lists(standins: Standins) -> None:
    standins.google_accounts[samples.CLIENT_EMAIL] = samples.private_key().public_key()
    assert verify("vertex", "vertex_ai", samples.vertex_fields())[0] == "valid"
    token_request, listing = standins.requests
    assert token_request.path == "/google/token"
    assert (
        listing.path
        == "/vertex/v1/projects/my-project-123/locations/us-central1/endpoints?pageSize=1"
    )


def test_an_assertion_signed_with_another_key_is_invalid_grant(standins: Standins) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    standins.google_accounts[samples.CLIENT_EMAIL] = other.public_key()
    status, detail = verify("vertex", "vertex_ai", samples.vertex_fields())
    assert (status, "invalid_grant" in detail) == ("invalid", True)
    assert len(standins.requests) == 1


def test_a_vertex_permission_denied_is_restricted(standins: Standins) -> None:
    standins.google_accounts[samples.CLIENT_EMAIL] = samples.private_key().public_key()
    standins.vertex_status = 403
    assert verify("vertex", "vertex_ai", samples.vertex_fields())[0] == "restricted"


def test_a_tampered_token_uri_is_never_signed_for(standins: Standins) -> None:
    from settings_app.credentials.value import from_value
    from settings_app.credentials.verifiers import check_credential

    stored = set_credential("vertex", "vertex_ai", samples.vertex_fields())
    credential = from_value("vertex_ai", "vertex", stored.value)
    tampered = type(credential)(
        credential.provider,
        {**credential.config, "token_uri": "https://evil.example/token"},
        credential.secrets,
    )
    result = check_credential(tampered)
    assert result.status == "invalid" and "token_uri" in result.detail
    assert standins.requests == []
    assert GOOGLE_TOKEN_URI == "https://oauth2.googleapis.com/token"


def test_an_unreachable_provider_is_unreachable(settings: Any) -> None:
    settings.KEYVAULT_AZURE_OPENAI_BASE_URL = "http://127.0.0.1:9"
    assert verify("azure", "azure_openai", samples.AZURE)[0] == "unreachable"
