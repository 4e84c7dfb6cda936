"""Journey: an editor opens Provider keys, sees the banner naming a due key, follows its link
to the key's age and next rotation, and narrows the list with the "Due" filter."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from settings_app import roles
from settings_app.models import Setting
from tests.e2e.conftest import assert_not_shown, follow, log_in, new_openai_key

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

CHANGELIST = "/admin/settings_app/setting/"


def result_keys(page: Page) -> list[str]:
    return page.locator("#result_list tbody th a").all_inner_texts()


def test_the_banner_shows_a_due_key_and_leads_to_it(page, make_user, screenshot) -> None:
    make_user("eddie", roles.EDITORS)
    due_value, fine_value = new_openai_key(), new_openai_key()
    expires = timezone.localdate() + dt.timedelta(days=3)
    Setting.objects.create(
        key="openai_api_key", value=due_value, provider="openai", expires_at=expires
    )
    Setting.objects.create(
        key="spare_openai_key", value=fine_value, provider="openai", rotate_every_days=90
    )
    log_in(page, "eddie")

    page.goto(CHANGELIST)
    banner = page.locator("#due-keys")
    assert banner.is_visible()
    assert " ".join(banner.inner_text().split()) == (
        f"1 key needs attention openai_api_key: expires in 3 days ({expires.isoformat()})"
    )
    assert_not_shown(page, due_value, fine_value)
    screenshot(page, "due-banner")

    follow(banner.get_by_role("link", name="openai_api_key"))
    assert page.locator("h2", has_text="Age and rotation").is_visible()
    assert "0 days (value set on" in page.inner_text("fieldset:has(h2:text('Age and rotation'))")
    assert_not_shown(page, due_value)

    page.goto(CHANGELIST)
    follow(page.locator("#changelist-filter").get_by_role("link", name="Due", exact=True))
    assert result_keys(page) == ["openai_api_key"]
    follow(page.locator("#changelist-filter").get_by_role("link", name="Not due"))
    assert result_keys(page) == ["spare_openai_key"]
