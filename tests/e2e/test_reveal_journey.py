"""Journey 3: a key admin reveals a value with password and reason, sees it once, and the audit
trail shows the reveal with the reason. The password path is that of a key admin without a
second factor (KEYVAULT_REQUIRE_2FA=none); test_two_factor_journey.py reveals with a code."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from settings_app import roles
from settings_app.models import AuditEvent, Setting
from tests.e2e.conftest import PASSWORD, assert_not_shown, follow, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("password_reveals")]

CHANGELIST = "/admin/settings_app/setting/"
AUDIT = "/admin/settings_app/auditevent/"
REASON = "Rotating the key in the payments deployment (ticket OPS-1234)"


@pytest.fixture
def password_reveals(settings) -> None:
    settings.KEYVAULT_REQUIRE_2FA = "none"


def submit_reveal(page: Page, password: str) -> None:
    page.fill("#id_password", password)
    page.fill("#id_reason", REASON)
    follow(page.get_by_role("button", name="Reveal"))


def open_reveal_form(page: Page, setting: Setting) -> str:
    """From the change page, follow "Reveal value"; the reveal form's URL."""
    page.goto(f"{CHANGELIST}{setting.pk}/change/")
    follow(page.get_by_role("link", name="Reveal value"))
    return page.url


def test_key_admin_reveals_a_value_once_and_it_is_audited(
    page, make_user, stored, secret, screenshot
):
    from playwright.sync_api import Error as BrowserError

    make_user("kim", roles.KEY_ADMINS)
    log_in(page, "kim")
    reveal_url = open_reveal_form(page, stored)
    assert_not_shown(page, secret)
    submit_reveal(page, "not my password")
    assert "That is not your password." in page.inner_text("#content")
    assert_not_shown(page, secret)

    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        submit_reveal(page, PASSWORD)
    assert "no-store" in posted.value.headers["cache-control"]
    assert page.inner_text("pre.revealed-value") == secret

    page.goto(reveal_url)  # asking again shows the form, not the value
    assert page.locator("#id_password").count() == 1
    assert_not_shown(page, secret)
    with pytest.raises(BrowserError, match="ERR_CACHE_MISS"):
        page.go_back()  # no-store: the browser kept no copy of the value page to go back to
    page.wait_for_url("chrome-error://chromewebdata/")  # "Confirm form resubmission"
    page.wait_for_load_state()
    assert_not_shown(page, secret)

    page.goto(AUDIT)
    assert_not_shown(page, secret)
    screenshot(page, "audit")
    page.goto(f"{AUDIT}?action__exact=revealed")
    follow(page.locator("#result_list tbody tr th a"))
    details = page.inner_text("#content")
    assert REASON in details and "kim" in details and "openai_api_key" in details
    assert_not_shown(page, secret)
    assert AuditEvent.objects.filter(action="revealed").count() == 1


def test_reloading_the_value_page_does_not_reveal_it_again(page, make_user, stored, secret):
    make_user("kim", roles.KEY_ADMINS)
    log_in(page, "kim")
    open_reveal_form(page, stored)
    submit_reveal(page, PASSWORD)
    assert page.inner_text("pre.revealed-value") == secret

    page.reload()

    assert_not_shown(page, secret)
    assert AuditEvent.objects.filter(action="revealed").count() == 1
