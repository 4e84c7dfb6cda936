"""The admin form of structured credentials: per-field inputs, write-only secrets, the routing rule.

Every response passes through LeakCheckingClient (no page shows a registered secret or its
masked-away middle) and `leak_log` (no log record or LogEntry does).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from settings_app.credentials.services import set_credential
from settings_app.models import Setting
from tests.admin.conftest import ADD, CHANGELIST, LeakCheckingClient, change_url

from . import samples

OTHER_KEY = "fedcba9876543210fedcba9876543210"


def azure_post(**fields: str) -> dict[str, str]:
    data = {"key": "azure", "provider": "azure_openai", "description": "", "expires_at": ""}
    data["version"] = "1"
    data.update({f"field_{name}": value for name, value in samples.AZURE.items()})
    data.update(fields)
    return data


@pytest.fixture
def watched(leak_log: list[str]) -> list[str]:
    leak_log.extend([samples.AZURE_KEY, OTHER_KEY, samples.AWS_SECRET])
    return leak_log


@pytest.fixture
def azure(watched: list[str]) -> Setting:
    return set_credential("azure", "azure_openai", samples.AZURE)


def stored_fields(key: str = "azure") -> dict[str, str]:
    credential = Setting.objects.get_credential(key)
    assert credential is not None
    return credential.fields


def test_the_add_form_shows_the_providers_fields(admin_client: LeakCheckingClient) -> None:
    page = admin_client.get(ADD + "?provider=azure_openai").content.decode()
    for name in ("resource_name", "api_version", "deployment", "api_key", "tenant_id"):
        assert f'name="field_{name}"' in page
    assert 'name="value"' not in page


def test_adding_an_azure_credential_stores_one_envelope_and_lists_masks(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    response = admin_client.post(ADD, azure_post(), follow=True)
    assert response.status_code == 200, response.content[:2000]
    assert stored_fields() == samples.AZURE
    listing = admin_client.get(CHANGELIST).content.decode()
    assert "api_key: …cdef" in listing and "resource_name: contoso-eastus" in listing


def test_a_blank_secret_keeps_the_stored_one(
    admin_client: LeakCheckingClient, azure: Setting
) -> None:
    admin_client.post(
        change_url(azure), azure_post(field_api_key="", field_deployment="gpt-4o-mini")
    )
    assert stored_fields() == {**samples.AZURE, "deployment": "gpt-4o-mini"}


def test_a_posted_mask_is_refused_and_never_stored(
    admin_client: LeakCheckingClient, azure: Setting
) -> None:
    response = admin_client.post(change_url(azure), azure_post(field_api_key="…cdef"))
    assert "masked value shown on the page" in response.content.decode()
    assert stored_fields() == samples.AZURE


def test_changing_a_routing_field_without_the_secret_is_refused(
    admin_client: LeakCheckingClient, azure: Setting
) -> None:
    response = admin_client.post(
        change_url(azure), azure_post(field_api_key="", field_resource_name="attacker-owned")
    )
    page = response.content.decode()
    assert "You changed resource name" in page and "enter api key again" in page
    assert stored_fields() == samples.AZURE


def test_changing_a_routing_field_with_the_secret_reentered_is_saved(
    admin_client: LeakCheckingClient, azure: Setting
) -> None:
    admin_client.post(
        change_url(azure), azure_post(field_api_key=OTHER_KEY, field_resource_name="contoso-west")
    )
    assert stored_fields() == {
        **samples.AZURE,
        "api_key": OTHER_KEY,
        "resource_name": "contoso-west",
    }


def test_a_url_as_resource_name_is_refused(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    response = admin_client.post(ADD, azure_post(field_resource_name="httpbin.org#"))
    assert "not a valid Azure OpenAI resource name" in response.content.decode()
    assert not Setting.objects.filter(key="azure").exists()


def test_a_structured_credentials_provider_cannot_be_changed(
    admin_client: LeakCheckingClient, azure: Setting
) -> None:
    admin_client.post(change_url(azure), azure_post(provider="bedrock"))
    assert Setting.objects.get(key="azure").provider == "azure_openai"


def vertex_post(**fields: Any) -> dict[str, Any]:
    data = {"key": "vertex", "provider": "vertex_ai", "description": "", "expires_at": ""}
    data.update({"version": "1", "field_location": "us-central1"})
    data.update(fields)
    return data


def test_vertex_json_pasted_keeps_the_pem_line_breaks_exactly(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    watched.append(samples.private_key_pem().splitlines()[5])
    text = "\n  " + samples.service_account_text() + "\n\n"
    admin_client.post(ADD, vertex_post(service_account_json=text), follow=True)
    assert stored_fields("vertex")["private_key"] == samples.private_key_pem()
    assert stored_fields("vertex")["location"] == "us-central1"


def test_vertex_json_can_be_uploaded(admin_client: LeakCheckingClient, watched: list[str]) -> None:
    upload = SimpleUploadedFile("key.json", samples.service_account_text().encode())
    admin_client.post(ADD, vertex_post(service_account_file=upload), follow=True)
    assert stored_fields("vertex")["client_email"] == samples.CLIENT_EMAIL


def test_a_tampered_token_uri_is_refused(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    text = samples.service_account_text(token_uri="https://attacker.example/token")
    response = admin_client.post(ADD, vertex_post(service_account_json=text))
    assert "not a valid Google Vertex AI token uri" in response.content.decode()
    assert not Setting.objects.filter(key="vertex").exists()


def test_a_metadata_address_as_location_is_refused(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    data = vertex_post(service_account_json=samples.service_account_text())
    response = admin_client.post(ADD, {**data, "field_location": "169.254.169.254#"})
    assert "not a valid Google Vertex AI location" in response.content.decode()
    assert not Setting.objects.filter(key="vertex").exists()


def test_changing_the_vertex_location_needs_the_json_again(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    vertex = set_credential("vertex", "vertex_ai", samples.vertex_fields())
    response = admin_client.post(change_url(vertex), vertex_post(field_location="europe-west4"))
    assert "You changed location" in response.content.decode()
    assert stored_fields("vertex")["location"] == "us-central1"
    text = samples.service_account_text()
    admin_client.post(
        change_url(vertex), vertex_post(field_location="europe-west4", service_account_json=text)
    )
    assert stored_fields("vertex")["location"] == "europe-west4"


def test_not_json_is_explained(admin_client: LeakCheckingClient, watched: list[str]) -> None:
    response = admin_client.post(ADD, vertex_post(service_account_json="{not json"))
    assert "This is not JSON" in response.content.decode()
    data = vertex_post(service_account_json=json.dumps({"type": "authorized_user"}))
    assert "not a service-account key file" in admin_client.post(ADD, data).content.decode()


OPENAI_KEY = "sk-proj-abcdefghijklmnop1234"


def openai_post(**fields: str) -> dict[str, str]:
    data = {"key": "openai_api_key", "provider": "openai", "description": "", "expires_at": ""}
    data.update({"version": "1", "value": "", "field_organization": "", "field_project": ""})
    data.update(fields)
    return data


def test_openai_without_extras_stays_a_plain_key(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    watched.append(OPENAI_KEY)
    admin_client.post(ADD, openai_post(value=OPENAI_KEY))
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY


def test_openai_gains_organization_and_project_in_the_form(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    watched.append(OPENAI_KEY)
    page = admin_client.get(ADD + "?provider=openai").content.decode()
    assert 'name="field_organization"' in page and 'name="value"' in page
    admin_client.post(ADD, openai_post(value=OPENAI_KEY, field_organization="org-abcdefgh12"))
    assert stored_fields("openai_api_key") == {
        "api_key": OPENAI_KEY,
        "organization": "org-abcdefgh12",
    }
    setting = Setting.objects.get(key="openai_api_key")
    # A blank key keeps the stored one; clearing the extras makes it a plain key again.
    admin_client.post(
        change_url(setting),
        openai_post(field_project="proj_abcdefgh12", field_organization="org-abcdefgh12"),
    )
    assert stored_fields("openai_api_key")["project"] == "proj_abcdefgh12"
    admin_client.post(change_url(setting), openai_post(version="2"))
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY


def test_a_bad_organization_id_is_explained(
    admin_client: LeakCheckingClient, watched: list[str]
) -> None:
    watched.append(OPENAI_KEY)
    response = admin_client.post(ADD, openai_post(value=OPENAI_KEY, field_organization="acme"))
    assert "not a valid OpenAI organization id" in response.content.decode()
    assert not Setting.objects.exists()


def test_typing_entra_secrets_switches_an_azure_key_credential_to_entra(
    admin_client: LeakCheckingClient, azure: Setting
) -> None:
    entra = {f"field_{n}": v for n, v in samples.AZURE_ENTRA.items()}
    admin_client.post(change_url(azure), azure_post(field_api_key="", **entra))
    assert stored_fields() == samples.AZURE_ENTRA
