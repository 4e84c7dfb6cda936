"""Journey 1: an editor adds an OpenAI key, sees it only masked, and verifies it twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from settings_app import roles
from settings_app.models import Setting
from tests.e2e.conftest import assert_not_shown, follow, log_in, new_openai_key
from tests.support.provider_server import ProviderServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

CHANGELIST = "/admin/settings_app/setting/"


def masked(key: str) -> str:
    return f"sk-proj-…{key[-4:]}"


def verify(page: Page) -> str:
    """Press "Verify key" on the change page; the text of the message it leaves."""
    follow(page.get_by_role("button", name="Verify key"))
    return " ".join(page.inner_text("ul.messagelist").split()).lower()  # the admin capitalises


def open_key(page: Page) -> None:
    follow(page.locator("#result_list").get_by_role("link", name="openai_api_key"))


def test_editor_adds_verifies_and_replaces_a_key(
    page, make_user, provider_server: ProviderServer, screenshot
):
    make_user("eddie", roles.EDITORS)
    good, bad = new_openai_key(), new_openai_key()
    provider_server.accept(good)  # `bad` gets the stand-in's 401
    log_in(page, "eddie")

    page.goto(CHANGELIST)
    follow(page.get_by_role("link", name="Add OpenAI key"))
    page.fill("#id_value", good)
    follow(page.locator("input[name=_save]"))

    page.wait_for_url(f"**{CHANGELIST}")
    assert masked(good) in page.inner_text("#result_list")
    assert_not_shown(page, good)

    open_key(page)
    assert "openai_api_key: valid." in verify(page).lower()
    assert_not_shown(page, good)
    assert provider_server.requests[-1].key == good
    screenshot(page, "change-form")
    page.goto(CHANGELIST)
    assert "Valid" in page.inner_text("#result_list")
    screenshot(page, "provider-keys")

    open_key(page)
    page.fill("#id_value", bad)
    follow(page.locator("input[name=_continue]"))
    assert masked(bad) in page.inner_text("body")
    assert "openai_api_key: invalid." in verify(page).lower()
    assert_not_shown(page, good, bad)
    assert Setting.objects.get_value("openai_api_key") == bad

    page.goto(CHANGELIST)
    assert masked(bad) in page.inner_text("#result_list")
    assert "Invalid" in page.inner_text("#result_list")
    assert_not_shown(page, good, bad)
