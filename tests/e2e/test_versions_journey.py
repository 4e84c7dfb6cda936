"""Journey 5: a key admin replaces a key, restores the old one from the history, and sees the
mask change back; the old key is verified with the provider first, and never shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from settings_app import roles
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.e2e.conftest import assert_not_shown, follow, log_in, new_openai_key
from tests.support.provider_server import ProviderServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

CHANGELIST = "/admin/settings_app/setting/"


def masked(key: str) -> str:
    return f"sk-proj-…{key[-4:]}"


def listed_mask(page: Page) -> str:
    page.goto(CHANGELIST)
    return page.inner_text("#result_list td.field-masked_value")


def test_key_admin_replaces_a_key_and_restores_the_old_one(
    page, make_user, stored, secret, provider_server: ProviderServer, screenshot
):
    make_user("kim", roles.KEY_ADMINS)
    replacement = new_openai_key()
    provider_server.accept(secret)  # the old key still works; the replacement does not
    log_in(page, "kim")
    assert listed_mask(page) == masked(secret)

    follow(page.locator("#result_list").get_by_role("link", name="openai_api_key"))
    page.fill("#id_value", replacement)
    follow(page.locator("input[name=_save]"))
    assert listed_mask(page) == masked(replacement)

    follow(page.locator("#result_list").get_by_role("link", name="v2"))
    history = page.locator("#versions tbody tr")
    assert history.count() == 2
    assert (
        "current" in history.nth(0).inner_text()
        and masked(replacement) in history.nth(0).inner_text()
    )
    assert masked(secret) in history.nth(1).inner_text()
    assert_not_shown(page, secret, replacement)

    follow(history.nth(1).get_by_role("link", name="Restore this version"))
    assert page.locator("input[name=verify]").is_checked()  # verify first, by default
    assert_not_shown(page, secret, replacement)
    follow(page.get_by_role("button", name="Restore version 1"))

    message = page.inner_text("ul.messagelist")
    assert "Restored version 1 of openai_api_key" in message and "OpenAI says: Valid." in message
    assert provider_server.requests[-1].key == secret
    assert page.locator("#versions tbody tr").count() == 3
    assert "restored version 1" in page.locator("#versions tbody tr").nth(0).inner_text()
    assert_not_shown(page, secret, replacement)
    screenshot(page, "versions")

    assert listed_mask(page) == masked(secret)  # the mask changed back
    setting = Setting.objects.get(key="openai_api_key")
    assert (setting.value, setting.version, setting.verification_status) == (secret, 3, "valid")
    restored = AuditEvent.objects.get(action=AuditAction.VERSION_RESTORED)
    assert (restored.actor_label, restored.details["from_version"]) == ("kim", 2)
