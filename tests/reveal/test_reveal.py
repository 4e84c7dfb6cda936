"""Revealing a stored key: only key admins, only with their password, once, always audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from settings_app.audit.coalescing import flush_due
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.support.reveal_helpers import once_token, post_reveal
from tests.support.role_users import PASSWORD, SECRET
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db
REASON = "Configuring the new staging worker"


def reveal_url(setting: Setting | int | str) -> str:
    pk = setting.pk if isinstance(setting, Setting) else setting
    return f"/admin/settings_app/setting/{pk}/reveal/"


def logged_in(user: User, **kwargs) -> Client:
    client = Client(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="pytest-browser", **kwargs)
    client.force_login(user)
    return client


def post(client: Client, setting: Setting, password: str = PASSWORD, reason: str = REASON):
    return post_reveal(client, reveal_url(setting), {"password": password, "reason": reason})


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_anonymous_users_are_sent_to_the_login_page(setting: Setting) -> None:
    for response in (Client().get(reveal_url(setting)), post(Client(), setting)):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        assert SECRET not in response.content.decode()


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_staff_without_the_reveal_permission_get_403_and_are_audited(
    request: pytest.FixtureRequest, setting: Setting, role: str
) -> None:
    client = logged_in(request.getfixturevalue(role))
    moment = datetime.now(UTC).replace(second=5)  # both requests in one coalescing window
    with time_machine.travel(moment, tick=False):
        assert client.get(reveal_url(setting)).status_code == 403
        response = client.post(reveal_url(setting), {"password": PASSWORD, "reason": REASON})
    assert response.status_code == 403
    assert SECRET not in response.content.decode()
    flush_due(moment + timedelta(minutes=2))  # the repeat is in a summary event
    refusals = events(AuditAction.REVEAL_REFUSED)
    assert [(e.details["result"], e.details.get("repeats")) for e in refusals] == [
        ("no_permission", None),
        ("no_permission", 1),
    ]
    assert events(AuditAction.REVEALED) == []


@pytest.mark.usefixtures("password_reveals")
def test_get_shows_the_form_and_never_the_value(key_admin: User, setting: Setting) -> None:
    response = logged_in(key_admin).get(reveal_url(setting))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="password"' in content
    assert 'name="reason"' in content
    assert SECRET not in content
    assert "no-store" in response["Cache-Control"]
    assert not AuditEvent.objects.filter(action__startswith="reveal").exists()


@pytest.mark.usefixtures("password_reveals")
def test_a_wrong_password_shows_no_value_and_is_audited(key_admin: User, setting: Setting) -> None:
    response = post(logged_in(key_admin), setting, password="guess-number-one")
    content = response.content.decode()
    assert response.status_code == 200
    assert "That is not your password." in content
    assert SECRET not in content
    assert "guess-number-one" not in content  # the typed password is not echoed back
    (refused,) = events(AuditAction.REVEAL_REFUSED)
    assert (refused.setting_key, refused.actor, refused.details) == (
        "openai_api_key",
        key_admin,
        {"result": "wrong_password", "reason": REASON, "request_id": response["X-Request-ID"]},
    )
    assert events(AuditAction.REVEALED) == []


@pytest.mark.parametrize("reason", ["", "   ", "because"])
def test_a_reason_of_at_least_ten_characters_is_required(
    key_admin: User, setting: Setting, reason: str
) -> None:
    response = post(logged_in(key_admin), setting, reason=reason)
    assert response.status_code == 200
    assert SECRET not in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="reveal").exists()


def test_the_right_password_shows_the_value_once_and_audits_the_reason(
    key_admin: User, setting: Setting
) -> None:
    response = post(logged_in(key_admin), setting)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count(SECRET) == 1
    assert PASSWORD not in content
    assert "no-store" in response["Cache-Control"]
    (revealed,) = events(AuditAction.REVEALED)
    assert (revealed.setting_key, revealed.actor, revealed.source) == (
        "openai_api_key",
        key_admin,
        "admin",
    )
    assert (revealed.ip, revealed.user_agent) == ("192.0.2.10", "pytest-browser")
    assert revealed.details == {"reason": REASON, "request_id": response["X-Request-ID"]}
    assert SECRET not in str(list(AuditEvent.objects.values()))


def test_superusers_can_reveal(superuser: User, setting: Setting) -> None:
    assert SECRET in post(logged_in(superuser), setting).content.decode()


def test_the_password_is_hidden_from_error_reports(key_admin: User, setting: Setting) -> None:
    response = post(logged_in(key_admin), setting)
    assert response.wsgi_request.sensitive_post_parameters == ("password",)


def test_a_post_without_a_csrf_token_is_refused(key_admin: User, setting: Setting) -> None:
    response = post(logged_in(key_admin, enforce_csrf_checks=True), setting)
    assert response.status_code == 403
    assert SECRET not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.REVEALED).exists()


@pytest.mark.parametrize("object_id", ["999999", "not-a-number", "1%20OR%201=1"])
def test_unknown_settings_are_404(key_admin: User, object_id: str) -> None:
    assert logged_in(key_admin).get(reveal_url(object_id)).status_code == 404


def test_an_undecryptable_value_is_reported_not_revealed(key_admin: User, setting: Setting) -> None:
    other = Secret.objects.create(value="bound to another field")  # valid, wrong context
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {Secret._meta.db_table} WHERE id = %s", [other.pk])
        (envelope,) = cursor.fetchone()
        cursor.execute(
            f"UPDATE {Setting._meta.db_table} SET value = %s WHERE id = %s", [envelope, setting.pk]
        )
    response = post(logged_in(key_admin), setting)
    content = response.content.decode()
    assert "cannot be decrypted" in content
    assert "bound to another field" not in content
    assert [e.details for e in events(AuditAction.DECRYPTION_FAILED)] == [
        {"during": "reveal", "request_id": response["X-Request-ID"]}
    ]
    assert events(AuditAction.REVEALED) == []


def test_a_replayed_confirmation_reveals_nothing(key_admin: User, setting: Setting) -> None:
    client = logged_in(key_admin)
    token = once_token(client, reveal_url(setting))
    data = {"password": PASSWORD, "reason": REASON, "once": token}
    assert SECRET in client.post(reveal_url(setting), data).content.decode()
    replay = client.post(reveal_url(setting), data)  # a reload re-sends the same form
    assert replay.status_code == 200
    assert SECRET not in replay.content.decode()
    assert "already used" in replay.content.decode()
    assert len(events(AuditAction.REVEALED)) == 1
    assert [e.details["result"] for e in events(AuditAction.REVEAL_REFUSED)] == ["replayed"]


def test_a_post_without_the_form_token_reveals_nothing(key_admin: User, setting: Setting) -> None:
    response = logged_in(key_admin).post(
        reveal_url(setting), {"password": PASSWORD, "reason": REASON}
    )
    assert SECRET not in response.content.decode()
    assert events(AuditAction.REVEALED) == []


@pytest.mark.usefixtures("password_reveals")
def test_guessing_the_password_on_the_reveal_page_locks_the_account(
    settings, key_admin: User, setting: Setting
) -> None:
    settings.AXES_ENABLED = True
    client = Client()
    client.force_login(key_admin)
    url = f"/admin/settings_app/setting/{setting.pk}/reveal/"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        data = {"password": "guess", "reason": "guessing the password", "once": ""}
        data["once"] = once_token(client, url)
        client.post(url, data)
    data = {
        "password": PASSWORD,
        "reason": "now with the right one",
        "once": once_token(client, url),
    }
    response = client.post(url, data)
    assert SECRET not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.REVEALED).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT).exists()
