"""Journey: an editor adds an Azure OpenAI and a Vertex AI credential, sees only masks, verifies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from settings_app import roles
from settings_app.models import Setting
from tests.credentials import samples
from tests.e2e.conftest import follow, log_in
from tests.support.cloud_standins import Standins

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

CHANGELIST = "/admin/settings_app/setting/"


@pytest.fixture
def standins(settings: Any) -> Any:
    with Standins.running() as servers:
        servers.point(settings)
        yield servers


def assert_secrets_not_shown(page: Page) -> None:
    html = page.content()
    pem_line = samples.private_key_pem().splitlines()[3]
    for secret in (samples.AZURE_KEY, samples.AZURE_KEY[:-4], pem_line):
        assert secret not in html, f"a secret is in the HTML of {page.url}"


def verify(page: Page) -> str:
    follow(page.get_by_role("button", name="Verify key"))
    return " ".join(page.inner_text("ul.messagelist").split()).lower()


def test_editor_adds_azure_and_vertex_credentials(
    page: Page, make_user: Any, standins: Standins, screenshot: Any
) -> None:
    make_user("eddie", roles.EDITORS)
    standins.azure_keys[samples.AZURE_KEY] = 200
    standins.google_accounts[samples.CLIENT_EMAIL] = samples.private_key().public_key()
    log_in(page, "eddie")

    page.goto(CHANGELIST)
    follow(page.get_by_role("link", name="Add Azure OpenAI key"))
    for name, value in samples.AZURE.items():
        page.fill(f"#id_field_{name}", value)
    follow(page.locator("input[name=_continue]"))
    assert "api_key: …cdef" in page.inner_text("body")
    assert "azure_openai: valid." in verify(page)
    assert standins.requests[-1].headers["api-key"] == samples.AZURE_KEY
    assert_secrets_not_shown(page)

    # Changing where the key goes without typing it again is refused, saying why.
    page.fill("#id_field_resource_name", "attacker-owned")
    follow(page.locator("input[name=_continue]"))
    assert "enter api key again" in page.inner_text("body").lower()
    screenshot(page, "credential-form")
    assert Setting.objects.get_credential("azure_openai").config["resource_name"] == (  # type: ignore[union-attr]
        "contoso-eastus"
    )

    page.goto(CHANGELIST)
    follow(page.get_by_role("link", name="Add Google Vertex AI key"))
    page.fill("#id_service_account_json", samples.service_account_text())
    page.fill("#id_field_location", "us-central1")
    follow(page.locator("input[name=_continue]"))
    assert "client_email: " + samples.CLIENT_EMAIL in page.inner_text("body")
    assert "vertex_ai: valid." in verify(page)
    assert_secrets_not_shown(page)
    stored = Setting.objects.get_credential("vertex_ai")
    assert stored is not None and stored.secrets["private_key"] == samples.private_key_pem()

    page.goto(CHANGELIST)
    listing = page.inner_text("#result_list")
    assert "api_key: …cdef" in listing and "location: us-central1" in listing
    assert_secrets_not_shown(page)
    screenshot(page, "credentials")
