"""Deleting a key moves it and its versions to a trash: absent everywhere, restorable for
KEYVAULT_TRASH_DAYS, then purged; each step audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from settings_app.api import services as api_services
from settings_app.models import AuditAction, AuditEvent, DeletedSetting, Setting, SettingVersion
from settings_app.trash import services
from tests.support.role_users import SECRET

pytestmark = pytest.mark.django_db
TRASH_URL = "/admin/settings_app/deletedsetting/"
NEXT = "sk-proj-" + "N3xtV4lu3" * 6


def actions(key: str) -> list[str]:
    events = AuditEvent.objects.filter(setting_key=key).order_by("sequence")
    return list(events.values_list("action", flat=True))


def with_two_versions(setting: Setting) -> Setting:
    return Setting.objects.set_value(setting.key, NEXT, expected_version=1)


def test_delete_moves_the_key_and_its_versions_to_the_trash(setting: Setting) -> None:
    with_two_versions(setting)
    Setting.objects.get(key="openai_api_key").delete()
    assert not Setting.objects.filter(key="openai_api_key").exists()
    assert Setting.objects.get_value("openai_api_key") is None
    assert SettingVersion.objects.filter(setting_id=setting.pk).count() == 2
    assert actions("openai_api_key")[-1] == AuditAction.DELETED
    services.restore(DeletedSetting.objects.get(key="openai_api_key"))
    assert Setting.objects.get_value("openai_api_key") == NEXT
    assert Setting.objects.get(key="openai_api_key").versions.count() == 2
    assert actions("openai_api_key")[-1] == AuditAction.RESTORED_FROM_TRASH


def test_queryset_delete_trashes_every_row(setting: Setting) -> None:
    Setting.objects.create(key="other", value="plain-value")
    assert Setting.objects.all().delete()[0] == 2
    assert set(DeletedSetting.objects.values_list("key", flat=True)) == {"openai_api_key", "other"}


def test_a_trashed_key_is_absent_from_the_api(setting: Setting) -> None:
    token = api_services.create_token("svc", ["*"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    setting.delete()
    assert client.get("/api/v1/settings/openai_api_key").status_code == 404
    assert client.get("/api/v1/settings/").json() == {"settings": []}


def test_a_new_key_under_a_trashed_name_is_refused_naming_the_restore(setting: Setting) -> None:
    setting.delete()
    for create in (
        lambda: Setting.objects.create(key="openai_api_key", value=NEXT),
        lambda: Setting.objects.set_value("openai_api_key", NEXT),
    ):
        with pytest.raises(ValidationError, match=r"in the trash .*Restore it"):
            create()


def test_the_admin_delete_trashes_and_the_add_form_refuses_the_name(
    setting: Setting, key_admin: User
) -> None:
    client = Client()
    client.force_login(key_admin)
    url = f"/admin/settings_app/setting/{setting.pk}/delete/"
    assert "moves the key and its versions to" in client.get(url).content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert DeletedSetting.objects.filter(pk=setting.pk).exists()
    assert client.get("/admin/settings_app/setting/").context["cl"].result_count == 0
    added = client.post(
        "/admin/settings_app/setting/add/",
        {"key": "openai_api_key", "value": NEXT, "provider": "openai", "description": ""},
    )
    assert "is in the trash" in added.content.decode()


def test_the_deleted_keys_page_restores_and_purges_after_confirmation(
    setting: Setting, key_admin: User
) -> None:
    setting.delete()
    client = Client()
    client.force_login(key_admin)
    page = client.get(TRASH_URL).content.decode()
    assert "openai_api_key" in page and SECRET not in page
    chosen = {"_selected_action": [setting.pk]}
    confirm = client.post(TRASH_URL, {**chosen, "action": "purge_selected"})
    assert "Nothing can bring them back" in confirm.content.decode()
    assert DeletedSetting.objects.filter(pk=setting.pk).exists()  # not yet
    client.post(TRASH_URL, {**chosen, "action": "restore_selected"})
    assert Setting.objects.get_value("openai_api_key") == SECRET
    Setting.objects.get(key="openai_api_key").delete()
    client.post(TRASH_URL, {**chosen, "action": "purge_selected", "confirmed": "yes"})
    assert not Setting._base_manager.filter(pk=setting.pk).exists()
    assert not SettingVersion.objects.filter(setting_id=setting.pk).exists()
    events = AuditEvent.objects.filter(
        setting_key="openai_api_key", action__in=["restored_from_trash", "purged"]
    )
    assert {e.action: e.actor_label for e in events} == {
        "restored_from_trash": key_admin.username,
        "purged": key_admin.username,
    }


@pytest.mark.parametrize("who", ["editor", "viewer"])
def test_only_key_admins_see_the_trash(setting: Setting, request, who: str) -> None:
    setting.delete()
    client = Client()
    client.force_login(request.getfixturevalue(who))
    assert client.get(TRASH_URL).status_code == 403
    client.post(TRASH_URL, {"_selected_action": [setting.pk], "action": "restore_selected"})
    assert not Setting.objects.filter(pk=setting.pk).exists()


def test_purge_deleted_removes_only_what_is_older_than_the_setting(setting, settings) -> None:
    settings.KEYVAULT_TRASH_DAYS = 7
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        setting.delete()
    recent = Setting.objects.create(key="recent", value="plain-value")
    recent.delete()
    out = io.StringIO()
    call_command("purge_deleted", stdout=out)
    assert "openai_api_key" in out.getvalue() and "recent" not in out.getvalue()
    assert list(DeletedSetting.objects.values_list("key", flat=True)) == ["recent"]
    assert actions("openai_api_key")[-1] == AuditAction.PURGED


def test_find_secret_reports_a_match_in_the_trash_as_such(setting: Setting, monkeypatch) -> None:
    setting.delete()
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET))
    out = io.StringIO()
    call_command("find_secret", stdout=out, stderr=io.StringIO())
    assert "openai_api_key (in the trash" in out.getvalue()


def test_reencrypt_keeps_a_trashed_key_restorable_after_a_rotation(setting, settings) -> None:
    from tests.support.raw_rows import drop_fallbacks, rotate_primary

    setting.delete()
    rotate_primary(settings)
    call_command("reencrypt", stdout=io.StringIO(), stderr=io.StringIO())
    drop_fallbacks(settings)
    services.restore(DeletedSetting.objects.get(key="openai_api_key"))
    assert Setting.objects.get_value("openai_api_key") == SECRET


def test_only_a_trashed_key_can_be_purged(setting: Setting) -> None:
    with pytest.raises(ValueError, match="not in the trash"):
        services.purge(setting)


def test_purge_deleted_says_when_there_is_nothing_to_purge() -> None:
    out = io.StringIO()
    call_command("purge_deleted", stdout=out)
    assert "Nothing in the trash is older than 30 days" in out.getvalue()


def test_a_bad_trash_setting_is_named(settings) -> None:
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    settings.KEYVAULT_TRASH_DAYS = -1
    with pytest.raises(ImproperlyConfigured, match="KEYVAULT_TRASH_DAYS"):
        services.trash_days()
    assert [m.id for m in checks.run_checks() if m.id == "keyvault.E012"] == ["keyvault.E012"]
