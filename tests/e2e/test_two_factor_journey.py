"""Journey 8: a key admin enrols a passkey (Chromium's virtual authenticator), signs in with it
after the password, and passes a step-up with it to reveal a value. The screenshots of the
enrolment page and the second-factor step come from here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django_otp_webauthn.models import WebAuthnCredential

from settings_app import roles
from settings_app.models import AuditAction, AuditEvent, Setting
from settings_app.twofactor.session import VERIFIED_AT
from tests.e2e.conftest import PASSWORD, assert_not_shown, follow

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e
REASON = "Rotating the key in the payments deployment (ticket OPS-1234)"


@pytest.fixture
def authenticator(page: Page, live_server: Any, settings) -> str:
    """A platform authenticator that always says yes (CDP WebAuthn domain); the origin."""
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    return cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})["authenticatorId"]


def password_step(page: Page, username: str) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    follow(page.locator("input[type=submit]"))


def age_the_second_factor(page: Page, seconds: int) -> None:
    """As if the second factor was passed `seconds` ago (no waiting in a test)."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[VERIFIED_AT] = session[VERIFIED_AT] - seconds
    session.save()


def test_a_passkey_signs_in_after_the_password_and_passes_a_step_up_reveal(
    page: Page, authenticator: str, make_user, stored: Setting, secret: str, screenshot, settings
) -> None:
    make_user("kim", roles.KEY_ADMINS)
    password_step(page, "kim")
    assert "/admin/2fa/enrol/" in page.url  # nothing else opens before a second factor
    page.goto("/admin/settings_app/setting/")
    assert "/admin/2fa/enrol/" in page.url
    screenshot(page, "twofactor-enrol")

    page.click("#passkey-register-button")
    page.wait_for_url("**/admin/2fa/")
    assert WebAuthnCredential.objects.filter(user__username="kim", confirmed=True).count() == 1
    assert "no recovery codes" in page.inner_text("#content")
    follow(page.get_by_role("button", name="Generate new recovery codes"))
    assert len(page.inner_text("pre.recovery-codes").split()) == 10
    follow(page.locator("#logout-form button"))

    password_step(page, "kim")
    assert "/admin/2fa/verify/" in page.url
    screenshot(page, "twofactor-verify")
    page.click("#passkey-verification-button")
    page.wait_for_url("**/admin/")
    assert "Provider keys" in page.inner_text("#content")

    age_the_second_factor(page, settings.KEYVAULT_STEP_UP_SECONDS + 60)
    reveal_url = f"/admin/settings_app/setting/{stored.pk}/reveal/"
    page.goto(reveal_url)
    assert "step_up=1" in page.url
    page.click("#passkey-verification-button")
    page.wait_for_url(f"**{reveal_url}")
    assert page.locator("#id_password").count() == 0  # the passkey replaced the password
    assert_not_shown(page, secret)
    page.fill("#id_reason", REASON)
    follow(page.get_by_role("button", name="Reveal"))
    assert page.inner_text("pre.revealed-value") == secret
    assert AuditEvent.objects.filter(action=AuditAction.REVEALED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_ADDED).count() == 1
