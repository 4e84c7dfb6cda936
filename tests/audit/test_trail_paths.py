"""Every entrance records its events: plain ORM code, the admin, and management commands."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from settings_app.models import AuditAction, AuditEvent, Setting

pytestmark = pytest.mark.django_db
SECRET = "sk-proj-trail-Q8s7d6f5g4h3j2k1"


def actions() -> list[tuple[str, str, str, str]]:
    return [
        (e.action, e.setting_key, e.source, e.actor_label)
        for e in AuditEvent.objects.order_by("id")
    ]


def test_orm_code_records_create_update_delete() -> None:
    setting = Setting.objects.create(key="openai_api_key", value=SECRET, provider="openai")
    setting.description = "rotated monthly"
    setting.save(update_fields=["description"])
    setting.delete()
    assert actions() == [
        ("created", "openai_api_key", "code", ""),
        ("updated", "openai_api_key", "code", ""),
        ("deleted", "openai_api_key", "code", ""),
    ]
    assert AuditEvent.objects.get(action="updated").details["fields"] == ["description"]
    assert SECRET not in str(list(AuditEvent.objects.values()))


def test_verification_records_its_own_event_only() -> None:
    setting = Setting.objects.create(key="custom", value=SECRET)  # provider "other"
    setting.record_verification("valid", "checked by hand")
    assert [a[0] for a in actions()] == ["created"]


def test_admin_edits_are_attributed_to_the_user_and_address() -> None:
    admin = User.objects.create_superuser("root", "", "pw-for-tests-only")
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="audit-test")
    client.force_login(admin)
    response = client.post(
        "/admin/settings_app/setting/add/",
        {"key": "openai_api_key", "provider": "openai", "value": SECRET, "description": ""},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.CREATED)
    assert (event.actor, event.source, event.ip, event.user_agent) == (
        admin,
        "admin",
        "198.51.100.7",
        "audit-test",
    )


def test_find_secret_is_audited_without_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    Setting.objects.create(key="leaky", value=SECRET)
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET))
    call_command("find_secret", stdout=io.StringIO(), stderr=io.StringIO())
    event = AuditEvent.objects.get(action=AuditAction.SEARCHED)
    assert (event.actor_label, event.details["matches"]) == ("manage.py find_secret", ["leaky"])
    assert SECRET not in str(event.details)


def test_commands_attribute_orm_saves_to_themselves(settings) -> None:
    Setting.objects.create(key="k1", value=SECRET)
    call_command("verify_settings", stdout=io.StringIO(), stderr=io.StringIO())
    event = AuditEvent.objects.get(action=AuditAction.VERIFIED)
    assert (event.source, event.actor_label) == ("command", "manage.py verify_settings")


def test_a_lockout_is_recorded_once_however_often_axes_signals_it(rf) -> None:
    from axes.signals import user_locked_out

    request = rf.post("/admin/login/", REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        user_locked_out.send("axes", request=request, username="mallory", ip_address="x")
    other = rf.post("/admin/login/", REMOTE_ADDR="203.0.113.10")
    user_locked_out.send("axes", request=other, username="mallory", ip_address="y")
    events = AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT)
    assert sorted(e.ip for e in events) == ["203.0.113.10", "203.0.113.9"]
    assert {e.actor_label for e in events} == {"mallory"}
