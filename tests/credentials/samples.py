"""Sample credentials for tests: well-formed fields for each structured provider.

The Vertex private key is generated per test run (cryptography), never a real one.
"""

from __future__ import annotations

import functools
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

AZURE_KEY = "0123456789abcdef0123456789abcdef"
AZURE = {
    "resource_name": "contoso-eastus",
    "api_version": "2024-10-21",
    "deployment": "gpt-4o",
    "api_key": AZURE_KEY,
}
AZURE_ENTRA = {
    "resource_name": "contoso-eastus",
    "api_version": "2024-10-21",
    "deployment": "gpt-4o",
    "tenant_id": "11111111-2222-3333-4444-555555555555",
    "client_id": "66666666-7777-8888-9999-000000000000",
    "client_secret": "entra~secret.value_0123456789",
}
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BEDROCK = {
    "access_key_id": "AKIAIOSFODNN7EXAMPLE",
    "secret_access_key": AWS_SECRET,
    "region": "us-east-1",
}
BEDROCK_API_KEY = {
    "api_key": "ABSK" + "QmVkcm9ja0FQSUtleS1leGFtcGxlMDEyMzQ1Njc4OQ==",
    "region": "eu-west-1",
}
CLIENT_EMAIL = "keyvault-test@my-project-123.iam.gserviceaccount.com"


@functools.cache
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem() -> str:
    return (
        private_key()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def service_account(**changes: str) -> dict[str, str]:
    document = {
        "type": "service_account",
        "project_id": "my-project-123",
        "private_key_id": "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
        "private_key": private_key_pem(),
        "client_email": CLIENT_EMAIL,
        "client_id": "123456789012345678901",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "universe_domain": "googleapis.com",
    }
    document.update(changes)
    return document


def service_account_text(**changes: str) -> str:
    return json.dumps(service_account(**changes), indent=2)


def vertex_fields(location: str = "us-central1", **changes: str) -> dict[str, str]:
    document = service_account(**changes)
    kept = {k: v for k, v in document.items() if k not in ("type", "auth_uri")}
    return {**kept, "location": location}
