"""Wrong codes count in the django-axes lockout, keyed like passwords; a password resets nothing."""

from __future__ import annotations

import json
import time

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from settings_app.models import AuditAction, AuditEvent
from tests.support.passkeys import BEGIN_SIGN_IN, COMPLETE_SIGN_IN, SoftPasskey
from tests.support.second_factor import current_code, totp_device

from .conftest import enter_code, sign_in_with_password

pytestmark = [pytest.mark.django_db, pytest.mark.password_only]


@pytest.fixture(autouse=True)
def _axes_on(settings) -> None:
    settings.AXES_ENABLED = True


def wrong_codes(client: Client, count: int) -> list[int]:
    statuses = []
    for step in range(count):
        with time_machine.travel(time.time() + 60 * step):  # past django-otp's own throttle
            statuses.append(enter_code(client, "000000").status_code)
    return statuses


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(
    client: Client, key_admin: User, settings
) -> None:
    device = totp_device(key_admin)
    limit = settings.AXES_FAILURE_LIMIT
    sign_in_with_password(client, key_admin)
    statuses = wrong_codes(client, limit)
    assert statuses[:-1] == [200] * (limit - 1) and statuses[-1] == 429
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == ("kim", limit)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT).exists()
    # Signed out, and neither the right password nor the right code gets back in.
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert sign_in_with_password(client, key_admin).status_code == 429
    assert not client.session.get("_auth_user_id")
    other = Client()
    other.force_login(key_admin)
    assert enter_code(other, current_code(device)).status_code == 429


def test_a_correct_password_does_not_reset_the_count_of_wrong_codes(
    client: Client, key_admin: User, settings
) -> None:
    totp_device(key_admin)
    limit = settings.AXES_FAILURE_LIMIT
    sign_in_with_password(client, key_admin)
    wrong_codes(client, limit - 1)
    client.post("/admin/logout/")
    assert sign_in_with_password(client, key_admin).status_code == 302  # the password is right
    with time_machine.travel(time.time() + 600):
        assert enter_code(client, "000000").status_code == 429


def test_a_right_code_clears_the_count(client: Client, key_admin: User, settings) -> None:
    device = totp_device(key_admin)
    sign_in_with_password(client, key_admin)
    wrong_codes(client, settings.AXES_FAILURE_LIMIT - 1)
    with time_machine.travel(time.time() + 600):
        assert enter_code(client, current_code(device)).status_code == 302
    assert not AccessAttempt.objects.exists()


def test_without_a_second_factor_the_password_completes_the_sign_in_and_clears_the_count(
    client: Client, viewer: User
) -> None:
    client.post("/admin/login/", {"username": "vera", "password": "wrong"})
    assert AccessAttempt.objects.get().failures_since_start == 1
    assert sign_in_with_password(client, viewer).status_code == 302
    assert not AccessAttempt.objects.exists()


def test_a_passkey_signs_in_and_clears_the_count(client: Client, key_admin: User, settings) -> None:
    passkey = SoftPasskey(key_admin)
    passkey.register()
    sign_in_with_password(client, key_admin)
    wrong_codes(client, settings.AXES_FAILURE_LIMIT - 1)
    assert passkey.sign_in(client).status_code == 200
    assert client.get("/admin/").status_code == 200
    assert not AccessAttempt.objects.exists()


def test_failed_passkey_assertions_lock_the_account_out_like_wrong_codes(
    client: Client, key_admin: User, settings
) -> None:
    passkey = SoftPasskey(key_admin)
    passkey.register()
    limit = settings.AXES_FAILURE_LIMIT
    sign_in_with_password(client, key_admin)
    # django-otp-webauthn's own verification rejects each (signed by a key not registered).
    statuses = [passkey.sign_in(client, forged=True).status_code for _ in range(limit)]
    assert statuses[:-1] == [422] * (limit - 1) and statuses[-1] == 429
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.failures_since_start) == ("kim", limit)
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT).exists()
    # Signed out; a genuine passkey in another session is refused too, before any ceremony.
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    other = Client()
    other.force_login(key_admin)
    assert passkey.sign_in(other).status_code == 429
    assert other.get("/admin/").status_code == 302


def test_wrong_codes_and_failed_passkeys_add_up(client: Client, key_admin: User, settings) -> None:
    totp_device(key_admin)
    passkey = SoftPasskey(key_admin)
    passkey.register()
    limit = settings.AXES_FAILURE_LIMIT
    sign_in_with_password(client, key_admin)
    wrong_codes(client, limit - 1)
    assert passkey.sign_in(client, forged=True).status_code == 429
    assert AccessAttempt.objects.get().failures_since_start == limit


def test_a_passkey_of_another_user_counts_as_a_failure(
    client: Client, key_admin: User, superuser: User
) -> None:
    stranger = SoftPasskey(superuser)
    stranger.register()
    SoftPasskey(key_admin).register()
    sign_in_with_password(client, key_admin)
    assert stranger.sign_in(client).status_code == 403
    assert AccessAttempt.objects.get().failures_since_start == 1


def test_a_ceremony_begun_before_the_lockout_cannot_complete_after_it(
    client: Client, key_admin: User, settings
) -> None:
    passkey = SoftPasskey(key_admin)
    passkey.register()
    sign_in_with_password(client, key_admin)
    challenge = client.post(BEGIN_SIGN_IN).json()["challenge"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/admin/login/", {"username": "kim", "password": "wrong"})
    answer = json.dumps(passkey.assertion(challenge))
    assert client.post(COMPLETE_SIGN_IN, answer, content_type="application/json").status_code == 429
    assert client.get("/admin/").status_code == 302  # the session never passed its second factor
