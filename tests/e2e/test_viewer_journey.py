"""Journey 2: a viewer sees the masked list and nothing that edits, reveals or deletes a key.

The controls are absent from the pages, and typing their URLs (GET or a CSRF-valid POST) is
refused: hiding a button is not the protection, the 403 is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from settings_app import roles
from settings_app.models import Setting
from tests.e2e.conftest import PASSWORD, assert_not_shown, follow, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

CHANGELIST = "/admin/settings_app/setting/"
# Anything that adds, edits, deletes, verifies, reveals or runs a bulk action.
CONTROLS = [
    "a.addlink",
    "#id_value",
    "select[name=action]",
    "input[name=_save]",
    "input[name=_continue]",
    "a.deletelink",
    "#verify-form",
    "a[href$='/reveal/']",
]


def object_url(setting: Setting, action: str) -> str:
    return f"{CHANGELIST}{setting.pk}/{action}/"


def assert_no_controls(page: Page) -> None:
    present = [selector for selector in CONTROLS if page.locator(selector).count()]
    assert present == [], f"{page.url} offers a viewer {present}"


def csrf_post(page: Page, url: str, form: dict[str, str]) -> tuple[int, str]:
    """POST as a form in this session would, with a valid CSRF token: (status, body)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(url, form={"csrfmiddlewaretoken": token, **form})
    return response.status, response.text()


def test_viewer_sees_masked_keys_and_can_change_nothing(page, make_user, stored, secret):
    make_user("vera", roles.VIEWERS)
    log_in(page, "vera")

    page.goto(CHANGELIST)
    assert f"sk-proj-…{secret[-4:]}" in page.inner_text("#result_list")
    assert_no_controls(page)
    assert_not_shown(page, secret)

    follow(page.locator("#result_list").get_by_role("link", name="openai_api_key"))
    assert "View provider key" in page.inner_text("#content")
    assert_no_controls(page)
    assert_not_shown(page, secret)

    for url in (CHANGELIST + "add/", object_url(stored, "delete"), object_url(stored, "reveal")):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
        assert_not_shown(page, secret)


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("change", {"key": "openai_api_key", "provider": "openai", "value": "sk-proj-" + "x" * 40}),
        ("delete", {"post": "yes"}),
        ("verify", {}),
        ("reveal", {"password": PASSWORD, "reason": "I would like to see it"}),
    ],
)
def test_viewer_posts_to_edit_urls_are_refused(page, make_user, stored, secret, action, form):
    make_user("vera", roles.VIEWERS)
    log_in(page, "vera")
    page.goto(CHANGELIST)  # a page of the admin, as a forged form would come from

    status, body = csrf_post(page, object_url(stored, action), form)

    assert status == 403
    assert "CSRF" not in body  # refused for the role, not for a bad token
    assert Setting.objects.get_value("openai_api_key") == secret
    assert Setting.objects.get().verification_status == "unverified"
