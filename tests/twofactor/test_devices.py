"""Managing second factors: removal needs a fresh one, everything is audited and mailed."""

from __future__ import annotations

import io
import time

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp import devices_for_user

from settings_app.models import AuditAction, AuditEvent
from settings_app.twofactor import devices
from settings_app.twofactor.models import RecoveryCode, RecoveryCodeDevice, code_digest
from tests.support.second_factor import current_code, totp_device

from .conftest import VERIFY

pytestmark = pytest.mark.django_db
START = 1_800_000_000


@pytest.fixture
def kim(key_admin: User) -> User:
    key_admin.email = "kim@example.com"
    key_admin.save()
    return key_admin


@pytest.fixture
def signed_in(kim: User) -> Client:
    client = Client()
    client.force_login(kim)
    return client


def test_the_page_lists_the_devices(signed_in: Client, kim: User) -> None:
    devices.issue_recovery_codes(None, kim)
    page = signed_in.get("/admin/2fa/").content.decode()
    assert "Test authenticator" in page and "Recovery codes (10 left)" in page
    assert '<a href="/admin/2fa/">Two-factor</a>' in signed_in.get("/admin/").content.decode()


def test_removing_a_device_needs_a_fresh_second_factor(
    signed_in: Client, kim: User, settings, django_capture_on_commit_callbacks
) -> None:
    device = totp_device(kim)
    data = {"device": device.persistent_id}
    with time_machine.travel(time.time() + settings.KEYVAULT_STEP_UP_SECONDS + 1):
        assert signed_in.post("/admin/2fa/remove/", data)["Location"].startswith(VERIFY)
    assert list(devices_for_user(kim)) == [device]
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_in.post("/admin/2fa/remove/", data)["Location"] == "/admin/2fa/"
    assert list(devices_for_user(kim)) == []
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_REMOVED)
    assert event.actor_label == "kim" and event.details["device"] == "Test authenticator"
    assert [m.to for m in mail.outbox] == [["kim@example.com"]]
    assert "removed" in mail.outbox[0].subject


def test_nobody_removes_another_users_device(signed_in: Client, superuser: User) -> None:
    theirs = totp_device(superuser)
    signed_in.post("/admin/2fa/remove/", {"device": theirs.persistent_id})
    assert list(devices_for_user(superuser)) == [theirs]


def test_new_recovery_codes_replace_the_old_ones(signed_in: Client, kim: User) -> None:
    old = devices.issue_recovery_codes(None, kim)
    new = signed_in.post("/admin/2fa/recovery-codes/").context["codes"]
    digests = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert digests == {code_digest(code) for code in new}
    assert not digests & {code_digest(code) for code in old}
    assert "no-store" in signed_in.post("/admin/2fa/recovery-codes/")["Cache-Control"]


def test_a_password_alone_adds_no_device_to_an_account_that_has_one(
    client: Client, kim: User
) -> None:
    totp_device(kim)
    client.post("/admin/login/", {"username": "kim", "password": "correct horse battery staple"})
    assert client.get("/admin/2fa/enrol/")["Location"] == VERIFY


def test_reset_2fa_removes_every_device_and_audits_the_reason(
    kim: User, django_capture_on_commit_callbacks
) -> None:
    totp_device(kim)
    devices.issue_recovery_codes(None, kim)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reset_2fa", "kim", "--reason", "Lost phone, ticket 4711", stdout=out)
    assert "Removed 2 second factor(s) of kim" in out.getvalue()
    assert list(devices_for_user(kim, confirmed=None)) == []
    event = AuditEvent.objects.get(action=AuditAction.SECOND_FACTOR_RESET)
    assert event.details["reason"] == "Lost phone, ticket 4711" and event.source == "command"
    assert mail.outbox[-1].to == ["kim@example.com"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--reason", "Lost phone, ticket 4711"], "There is no user 'nobody'"),
        (["kim", "--reason", "lost"], "at least 10 characters"),
    ],
)
def test_reset_2fa_refuses_bad_input(kim: User, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("reset_2fa", *args)


def test_a_second_authenticator_keeps_the_recovery_codes(signed_in: Client, kim: User) -> None:
    codes = devices.issue_recovery_codes(None, kim)
    pending = devices.pending_totp(kim)
    added = signed_in.post("/admin/2fa/enrol/", {"code": current_code(pending)}, follow=True)
    assert "Your authenticator app is now a second factor." in added.content.decode()
    assert added.redirect_chain[-1][0] == "/admin/2fa/"
    kept = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert kept == {code_digest(code) for code in codes}


def test_recovery_codes_are_throttled_after_a_wrong_one(kim: User) -> None:
    codes = devices.issue_recovery_codes(None, kim)
    device = RecoveryCodeDevice.objects.get(user=kim)
    with time_machine.travel(START, tick=False):
        assert not device.verify_token("aaaaa-aaaaa")
        assert not device.verify_token(codes[0])  # too soon after a failure (django-otp)
    with time_machine.travel(START + 2, tick=False):
        assert device.verify_token(codes[0])
        assert not device.verify_token(codes[0])  # once only
    assert device.remaining() == 9


def test_no_admin_page_edits_devices_behind_the_audit_trail(
    client: Client, superuser: User
) -> None:
    client.force_login(superuser)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
