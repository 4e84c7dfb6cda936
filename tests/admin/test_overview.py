"""The overview above the list: which known providers have a key, and one click to add one."""

from __future__ import annotations

from html import unescape

from settings_app import providers
from tests.admin.conftest import ADD, CHANGELIST


def overview(page: str) -> str:
    return unescape(page.split('id="provider-overview"')[1].split("</section>")[0])


def test_missing_providers_are_listed_with_prefilled_add_links(admin_client, stored):
    section = overview(admin_client.get(CHANGELIST).content.decode())

    assert f'href="{CHANGELIST}?provider__exact=openai"' in section
    assert "?key=openai_api_key" not in section
    for slug, provider in providers.PROVIDERS.items():
        if slug != "openai":
            assert f'href="{ADD}?key={provider.setting_key}&provider={slug}"' in section
            assert f"{provider.name}: no key" in section


def test_the_add_link_prefills_key_and_provider(admin_client, db):
    page = admin_client.get(ADD, {"key": "gemini_api_key", "provider": "gemini"}).content.decode()

    assert 'value="gemini_api_key"' in page
    assert '<option value="gemini" selected>' in page


def test_view_only_users_see_the_overview_without_add_links(viewer_client, stored):
    section = overview(viewer_client.get(CHANGELIST).content.decode())

    assert "Anthropic: no key" in section
    assert ADD not in section
