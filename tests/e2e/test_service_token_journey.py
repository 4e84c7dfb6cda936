"""Journey 5: a key admin creates a service token (shown once, gone on reload), a service reads
a key with it over HTTP, and the key admin revokes it: the next read is refused."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from settings_app import roles
from settings_app.api import tokens
from settings_app.api.models import ServiceToken
from settings_app.models import AuditEvent
from tests.e2e.conftest import follow, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

TOKENS = "/admin/settings_app/servicetoken/"


def create_token(page: Page) -> str:
    """Fill the new-token form and submit it; the token the result page shows."""
    page.goto(TOKENS)
    follow(page.get_by_role("link", name="Add service token"))
    page.fill("#id_name", "billing-worker")
    page.fill("#id_scope", "openai_*")
    page.fill("#id_expires_in_days", "30")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        follow(page.get_by_role("button", name="Create token"))
    assert "no-store" in posted.value.headers["cache-control"]
    return page.inner_text("pre.service-token").strip()


def read_key(live_server, token: str) -> httpx.Response:
    """What a service does: one GET with the token, like curl."""
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{live_server.url}/api/v1/settings/openai_api_key", headers=headers)


def test_a_key_admin_creates_uses_and_revokes_a_service_token(
    page, make_user, stored, secret, live_server, screenshot
):
    make_user("kim", roles.KEY_ADMINS)
    log_in(page, "kim")
    token = create_token(page)
    assert tokens.is_well_formed(token)
    screenshot(page, "service-token-created")

    page.reload()  # re-posts the spent form: the token is not shown again
    assert token not in page.content()
    assert "a token is shown only once" in page.inner_text("#content")
    assert ServiceToken.objects.count() == 1

    response = read_key(live_server, token)
    assert response.status_code == 200
    assert response.json()["value"] == secret
    assert response.headers["cache-control"] == "no-store"

    page.goto(TOKENS)
    assert "billing-worker" in page.inner_text("#result_list") and token not in page.content()
    follow(page.locator("#result_list").get_by_role("link", name="billing-worker"))
    follow(page.get_by_role("button", name="Revoke token"))
    assert "Revoked billing-worker" in page.inner_text("ul.messagelist")
    assert "revoked" in page.inner_text("#result_list")

    refused = read_key(live_server, token)
    assert refused.status_code == 401 and secret not in refused.text
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"token_created", "api_read", "token_revoked"} <= actions
