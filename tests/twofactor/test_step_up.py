"""Step-up: the dangerous admin pages need a second factor verified within the last minutes."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from settings_app.models import AuditAction, AuditEvent, Setting
from tests.support.reveal_helpers import post_reveal
from tests.support.role_users import SECRET
from tests.support.second_factor import current_code, totp_device

from .conftest import VERIFY

pytestmark = pytest.mark.django_db
REASON = "Configuring the new staging worker"


@pytest.fixture
def signed_in(key_admin: User) -> Client:
    client = Client()
    client.force_login(key_admin)  # the suite's fixture: second factor passed now
    return client


def dangerous_pages(setting: Setting) -> list[str]:
    setting.value = "sk-proj-" + "b" * 40
    setting.save()  # version 2, so version 1 can be restored or destroyed
    base = f"/admin/settings_app/setting/{setting.pk}/"
    return [
        base + "reveal/",
        "/admin/settings_app/servicetoken/add/",
        base + "versions/1/restore/",
        base + "versions/1/destroy/",
        "/admin/settings_app/setting/import-env/",
    ]


def test_every_dangerous_page_opens_within_the_window_and_asks_again_after_it(
    signed_in: Client, setting: Setting, settings
) -> None:
    pages = dangerous_pages(setting)
    for page in pages:
        assert signed_in.get(page).status_code == 200, page
    later = time.time() + settings.KEYVAULT_STEP_UP_SECONDS + 1
    with time_machine.travel(later):
        for page in pages:
            response = signed_in.get(page)
            assert response.status_code == 302 and response["Location"].startswith(VERIFY), page
            assert signed_in.post(page, {})["Location"].startswith(VERIFY), page
        # Other pages stay open: the sign-in holds, only the step-up is stale.
        assert signed_in.get("/admin/settings_app/setting/").status_code == 200


def test_a_fresh_code_opens_them_again_and_returns_to_the_page(
    signed_in: Client, key_admin: User, setting: Setting, settings
) -> None:
    reveal = f"/admin/settings_app/setting/{setting.pk}/reveal/"
    with time_machine.travel(time.time() + settings.KEYVAULT_STEP_UP_SECONDS + 60):
        asked = signed_in.get(reveal)
        assert "step_up=1" in asked["Location"]
        page = signed_in.get(asked["Location"])
        assert b"confirmed within the last few minutes" in page.content
        back = signed_in.post(asked["Location"], {"code": current_code(totp_device(key_admin))})
        assert back["Location"] == reveal
        form = signed_in.get(reveal)
        assert "password" not in form.context["form"].fields  # the code replaced it
        shown = post_reveal(signed_in, reveal, {"reason": REASON})
    assert SECRET in shown.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REVEALED).count() == 1


def test_the_reason_stays_required(signed_in: Client, setting: Setting) -> None:
    reveal = f"/admin/settings_app/setting/{setting.pk}/reveal/"
    refused = post_reveal(signed_in, reveal, {"reason": ""})
    assert SECRET not in refused.content.decode()
    assert refused.context["form"].has_error("reason")


def test_the_window_is_a_setting(signed_in: Client, setting: Setting, settings) -> None:
    settings.KEYVAULT_STEP_UP_SECONDS = 30
    with time_machine.travel(time.time() + 31):
        assert signed_in.get(f"/admin/settings_app/setting/{setting.pk}/reveal/").status_code == 302


@pytest.mark.password_only
def test_a_user_without_a_device_keeps_the_password_check(
    client: Client, key_admin: User, setting: Setting, settings
) -> None:
    settings.KEYVAULT_REQUIRE_2FA = "none"
    client.force_login(key_admin)
    form = client.get(f"/admin/settings_app/setting/{setting.pk}/reveal/")
    assert "password" in form.context["form"].fields


def test_purging_deleted_keys_asks_for_a_fresh_second_factor(
    signed_in: Client, setting: Setting, settings
) -> None:
    setting.delete()  # to the trash
    trash = "/admin/settings_app/deletedsetting/"
    purge = {"_selected_action": [setting.pk], "action": "purge_selected", "confirmed": "yes"}
    later = time.time() + settings.KEYVAULT_STEP_UP_SECONDS + 1
    with time_machine.travel(later):
        response = signed_in.post(trash, purge)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY)
        assert Setting._base_manager.filter(pk=setting.pk).exists()  # nothing purged
    signed_in.post(trash, purge)  # within the window: purged
    assert not Setting._base_manager.filter(pk=setting.pk).exists()
