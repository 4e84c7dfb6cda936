"""Journey 4: five wrong passwords lock a username out (django-axes), even against the right
password afterwards, and a key admin finds the lockout in the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from settings_app import roles
from tests.e2e.conftest import PASSWORD, follow, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

AUDIT = "/admin/settings_app/auditevent/"
WRONG = "Tr0ub4dor&3-but-wrong"


def attempt_login(page: Page, username: str, password: str) -> int:
    """Submit the admin login form once; the status of the answer to the POST."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        follow(page.locator("input[type=submit]"))
    return posted.value.status


def test_wrong_passwords_lock_the_login_and_the_lockout_is_audited(page, make_user, settings):
    settings.AXES_ENABLED = True
    limit = settings.AXES_FAILURE_LIMIT
    make_user("kim", roles.KEY_ADMINS)
    make_user("ana", roles.KEY_ADMINS)

    statuses = [attempt_login(page, "kim", WRONG) for _ in range(limit)]
    assert statuses[:-1] == [200] * (limit - 1)  # the form again, with an error
    assert statuses[-1] == 429
    assert attempt_login(page, "kim", PASSWORD) == 429  # the right password no longer helps
    assert "locked" in page.inner_text("body").lower()
    assert WRONG not in page.content()

    log_in(page, "ana")  # another username from the same address is not locked
    page.goto(f"{AUDIT}?action__exact=login_locked_out")
    rows = page.inner_text("#result_list tbody")
    assert "Login locked out" in rows and "kim" in rows
    follow(page.locator("#result_list tbody tr th a").first)
    assert "kim" in page.inner_text("#content")
    assert WRONG not in page.content()
