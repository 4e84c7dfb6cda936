"""The read API's shape for structured credentials: value null, fields, env and files."""

from __future__ import annotations

import json

import pytest
import yaml
from django.test import Client

from settings_app.credentials.services import set_credential
from settings_app.models import Setting
from tests.api.conftest import SETTINGS_URL, MakeToken, bearer

from . import samples

pytestmark = pytest.mark.django_db


def read(make_token: MakeToken, key: str) -> dict[str, object]:
    token = make_token([key])
    response = bearer(token.secret).get(f"{SETTINGS_URL}{key}")
    assert response.status_code == 200
    return json.loads(response.content)


def test_an_azure_credential_reads_as_fields_and_env(make_token: MakeToken) -> None:
    set_credential("azure", "azure_openai", samples.AZURE)
    body = read(make_token, "azure")
    assert body["value"] is None
    assert body["provider"] == "azure_openai"
    assert body["fields"] == samples.AZURE
    assert body["env"] == {
        "AZURE_OPENAI_API_KEY": samples.AZURE_KEY,
        "AZURE_OPENAI_ENDPOINT": "https://contoso-eastus.openai.azure.com/",
        "OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_DEPLOYMENT": "gpt-4o",
    }
    assert body["files"] == {}
    assert body["secret_fields"] == ["api_key"]


def test_a_bedrock_credential_reads_with_aws_variables(make_token: MakeToken) -> None:
    set_credential("aws", "bedrock", samples.BEDROCK)
    body = read(make_token, "aws")
    assert body["env"] == {
        "AWS_ACCESS_KEY_ID": samples.BEDROCK["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": samples.AWS_SECRET,
        "AWS_REGION": "us-east-1",
    }


def test_a_vertex_credential_reads_with_its_file(make_token: MakeToken) -> None:
    set_credential("vertex", "vertex_ai", samples.vertex_fields())
    body = read(make_token, "vertex")
    assert body["env"] == {
        "GOOGLE_CLOUD_PROJECT": "my-project-123",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
    }
    files = body["files"]
    assert isinstance(files, dict)
    document = json.loads(files["GOOGLE_APPLICATION_CREDENTIALS"])
    assert document["private_key"] == samples.private_key_pem()
    assert document["client_email"] == samples.CLIENT_EMAIL


def test_a_single_key_reads_as_before(make_token: MakeToken) -> None:
    Setting.objects.set_value("openai_api_key", "sk-proj-abcdefghijklmnop1234")
    body = read(make_token, "openai_api_key")
    assert body["value"] == "sk-proj-abcdefghijklmnop1234"
    assert "fields" not in body and "env" not in body


def test_the_schema_documents_the_structured_shape(admin_client: Client) -> None:
    schema = yaml.safe_load(admin_client.get("/api/v1/schema/").content)
    setting = schema["components"]["schemas"]["SettingRead"]
    assert setting["properties"]["value"]["nullable"] is True
    assert {"fields", "env", "files"} <= set(setting["properties"])
    assert "0600" in setting["properties"]["files"]["description"]
