"""Cloud gateway fixtures: the cloud stand-ins and keyvault's ASGI app under uvicorn, with one
credential of each kind stored. Every secret is a canary: it must never come back to a caller
nor reach a log, an audit row or a metric."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from settings_app.api import services
from settings_app.credentials.services import set_credential
from settings_app.gateway import limits, lookups
from settings_app.gateway.clouds import access_tokens, cloud_destination
from settings_app.gateway.recording import recorder
from tests.credentials import samples
from tests.gateway.servers import serving
from tests.support.cloud_standins import Standins

AZURE_KEY = "CANARYazure" + "Q7wLm2Xc9Rb4Tz8Nv1Hd6Ja3Ke5Pu0Gs"
AWS_SECRET = "CANARYaws/" + "K7MDENGbPxRfiCYzQ7wLm2Xc9Rb4Tz"
ENTRA_SECRET = "CANARYentra~" + "Q7wLm2Xc9Rb4Tz8Nv1Hd6"
BEDROCK_API_KEY = "ABSK" + "CANARYbedrockQ7wLm2Xc9Rb4Tz8Nv1Hd6Ja3Ke5Pu0Gs"
PROJECT, LOCATION = "my-project-123", "us-central1"
CREDENTIALS = {
    "azure_key": ("azure_openai", {**samples.AZURE, "api_key": AZURE_KEY}),
    "azure_entra": ("azure_openai", {**samples.AZURE_ENTRA, "client_secret": ENTRA_SECRET}),
    "bedrock_key": ("bedrock", {**samples.BEDROCK, "secret_access_key": AWS_SECRET}),
    "bedrock_bearer": ("bedrock", {"api_key": BEDROCK_API_KEY, "region": "us-east-1"}),
    "vertex_key": ("vertex_ai", samples.vertex_fields(LOCATION)),
}


def private_key_body(pem: str) -> str:
    """The PEM's base64 lines: any one of them in an answer or a log is a leak."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


def canaries() -> list[str]:
    pem = samples.private_key_pem()
    body = private_key_body(pem)
    return [AZURE_KEY, AWS_SECRET, ENTRA_SECRET, BEDROCK_API_KEY, pem, body[:64], body[-64:]]


@dataclass
class Clouds:
    url: str
    standins: Standins
    token: str  # a gateway token for every stored credential

    def base(self, setting_key: str) -> str:
        return f"{self.url}/gateway/{setting_key}"

    def auth(self, header: str = "authorization") -> dict[str, str]:
        value = f"Bearer {self.token}" if header == "authorization" else self.token
        return {header: value}

    def upstream(self, prefix: str) -> list[Any]:
        """What reached the stand-ins under `/prefix` (model calls, not token requests)."""
        return [seen for seen in self.standins.requests if seen.path.startswith(f"/{prefix}/")]


@pytest.fixture
def standins(settings: Any) -> Iterator[Standins]:
    with Standins.running() as running:
        running.point(settings)
        running.azure_keys[AZURE_KEY] = 200
        running.entra_apps[samples.AZURE_ENTRA["client_id"]] = ENTRA_SECRET
        running.aws_keys[samples.BEDROCK["access_key_id"]] = (AWS_SECRET, "valid")
        running.bedrock_api_keys[BEDROCK_API_KEY] = "valid"
        running.google_accounts[samples.CLIENT_EMAIL] = samples.private_key().public_key()
        yield running


@pytest.fixture
def clouds(transactional_db: None, settings: Any, standins: Standins) -> Iterator[Clouds]:
    settings.KEYVAULT_GATEWAY_FLUSH_SECONDS = 0.05
    reset()
    for key, (provider, fields) in CREDENTIALS.items():
        set_credential(key, provider, fields)
    secret = services.create_token("cloud-user", [], gateway_scope=["*"]).secret
    from keyvault_site.asgi import application

    with serving(application) as url:
        yield Clouds(url, standins, secret)
    reset()


def reset() -> None:
    lookups.reset()
    limits.reset()
    recorder._flush_handle = None
    access_tokens.reset()
    cloud_destination.cache_clear()


def new_service_account_key() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key, pem
