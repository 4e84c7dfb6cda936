"""Sign-in: password first, then the second factor on its own page; nothing before both."""

from __future__ import annotations

import io
import time

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from settings_app.models import AuditAction, AuditEvent, Setting
from settings_app.twofactor import devices
from settings_app.twofactor.models import RecoveryCode
from tests.support.second_factor import current_code, totp_device

from .conftest import ENROL, VERIFY, enter_code, sign_in_with_password

pytestmark = [pytest.mark.django_db, pytest.mark.password_only]

START = 1_800_000_000  # a fixed instant on a 30 s step boundary, for the TOTP windows


def test_a_key_admin_without_a_device_is_sent_to_enrolment_and_reaches_nothing_else(
    client: Client, key_admin: User
) -> None:
    response = sign_in_with_password(client, key_admin)
    assert response.status_code == 302
    assert client.get("/admin/")["Location"].startswith(ENROL)
    assert client.get("/admin/settings_app/setting/")["Location"].startswith(ENROL)
    assert client.get(VERIFY)["Location"] == ENROL


def test_enrolment_confirms_the_app_with_one_code_and_shows_ten_recovery_codes_once(
    client: Client, key_admin: User
) -> None:
    sign_in_with_password(client, key_admin)
    page = client.get(ENROL)
    assert b"<svg" in page.content and page.context["secret"]
    pending = TOTPDevice.objects.get(user=key_admin, confirmed=False)
    assert client.post(ENROL, {"code": "000000"}).context["form"].errors
    with time_machine.travel(time.time() + 2):  # past django-otp's throttle of one failure
        done = client.post(ENROL, {"code": current_code(pending)})
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/admin/").status_code == 200
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert stored and not stored & set(codes)  # kept as digests only
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.SECOND_FACTOR_ADDED, AuditAction.RECOVERY_CODES_ISSUED} <= actions


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/settings_app/setting/",
        "/admin/settings_app/auditevent/",
        "/admin/settings_app/servicetoken/add/",
        "/admin/settings_app/setting/import-env/",
        "/admin/2fa/",
        ENROL,
        "/admin/password_change/",
    ],
)
def test_a_stolen_session_cookie_without_the_second_factor_reaches_nothing(
    client: Client, key_admin: User, setting: Setting, path: str
) -> None:
    totp_device(key_admin)
    client.force_login(key_admin)  # the password step only: a cookie taken before the code
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    reveal = client.post(f"/admin/settings_app/setting/{setting.pk}/reveal/", {"reason": "x" * 20})
    assert reveal.status_code == 302 and reveal["Location"].startswith(VERIFY)
    assert not AuditEvent.objects.filter(action=AuditAction.REVEALED).exists()


def test_the_code_step_leads_to_the_page_asked_for(client: Client, key_admin: User) -> None:
    device = totp_device(key_admin)
    sign_in_with_password(client, key_admin)
    assert client.get("/admin/")["Location"].startswith(VERIFY)
    response = enter_code(client, current_code(device), "/admin/settings_app/setting/")
    assert response["Location"] == "/admin/settings_app/setting/"
    assert client.get("/admin/settings_app/setting/").status_code == 200


def test_the_code_step_never_redirects_off_site(client: Client, key_admin: User) -> None:
    device = totp_device(key_admin)
    sign_in_with_password(client, key_admin)
    response = enter_code(client, current_code(device), "https://evil.example/")
    assert response["Location"] == "/admin/"


def test_a_totp_code_is_accepted_once(key_admin: User) -> None:
    device = totp_device(key_admin)
    with time_machine.travel(START + 5, tick=False):
        code = current_code(device)
        first, second = Client(), Client()
        sign_in_with_password(first, key_admin)
        sign_in_with_password(second, key_admin)
        assert enter_code(first, code)["Location"] == "/admin/"
        refused = enter_code(second, code)
    assert refused.status_code == 200 and refused.context["form"].errors
    assert second.get("/admin/")["Location"].startswith(VERIFY)


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-60, False), (-30, True), (0, True), (60, False)]
)
def test_codes_are_accepted_within_one_step_of_now(
    client: Client, key_admin: User, offset: int, accepted: bool
) -> None:
    device = totp_device(key_admin)
    with time_machine.travel(START + 5, tick=False):
        code = current_code(device, at=START + 5 + offset)
        sign_in_with_password(client, key_admin)
        response = enter_code(client, code)
    assert (response.status_code == 302) is accepted


def test_a_recovery_code_works_once_and_says_how_many_remain(
    client: Client, key_admin: User
) -> None:
    totp_device(key_admin)
    codes = devices.issue_recovery_codes(None, key_admin)
    sign_in_with_password(client, key_admin)
    response = client.post(VERIFY + "?next=/admin/", {"code": codes[3].upper()}, follow=True)
    assert "Recovery code used: 9 remain." in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODE_USED).count() == 1
    other = Client()
    sign_in_with_password(other, key_admin)
    with time_machine.travel(time.time() + 2):
        assert enter_code(other, codes[3]).status_code == 200  # refused: used already


def test_a_user_who_has_a_device_uses_it_even_when_the_policy_does_not_ask(
    client: Client, viewer: User
) -> None:
    totp_device(viewer)
    sign_in_with_password(client, viewer)
    assert client.get("/admin/")["Location"].startswith(VERIFY)


@pytest.mark.parametrize(
    ("policy", "role", "enrols"),
    [
        ("key_admins", "superuser", True),
        ("key_admins", "key_admin", True),
        ("key_admins", "viewer", False),
        ("all", "viewer", True),
        ("none", "key_admin", False),
    ],
)
def test_the_policy_says_who_must_enrol(
    client: Client, request: pytest.FixtureRequest, settings, policy: str, role: str, enrols: bool
) -> None:
    settings.KEYVAULT_REQUIRE_2FA = policy
    sign_in_with_password(client, request.getfixturevalue(role))
    response = client.get("/admin/")
    assert (response.status_code == 302 and response["Location"].startswith(ENROL)) is enrols


def test_the_default_policy_is_key_admins() -> None:
    from keyvault_site import settings as production

    assert production.KEYVAULT_REQUIRE_2FA == "key_admins"


def test_a_local_admin_is_led_to_enrolment_at_the_first_sign_in(client: Client) -> None:
    call_command("create_local_admin", "--username", "local", stdout=io.StringIO())
    user = User.objects.get(username="local")
    client.force_login(user)
    assert client.get("/admin/")["Location"].startswith(ENROL)
