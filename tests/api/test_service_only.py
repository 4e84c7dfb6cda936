"""Service-only settings: services read them with a token; people can never reveal them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from settings_app import roles
from settings_app.models import AuditEvent, Setting
from tests.api.conftest import OPENAI_VALUE

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
SETTINGS = "/admin/settings_app/setting/"


@pytest.fixture
def key_admin_client() -> Client:
    user = User.objects.create_user("kim", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=roles.KEY_ADMINS))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def service_only(stored) -> Setting:
    Setting.objects.filter(key="openai_api_key").update(service_only=True)
    return Setting.objects.get(key="openai_api_key")


def test_reveal_of_a_service_only_key_is_refused_clearly_and_audited(
    key_admin_client, service_only
) -> None:
    url = f"{SETTINGS}{service_only.pk}/reveal/"
    for response in (
        key_admin_client.get(url),
        key_admin_client.post(url, {"password": PASSWORD, "reason": "I need it now", "once": ""}),
    ):
        assert response.status_code == 200
        page = response.content.decode()
        assert "This key is service-only" in page
        assert OPENAI_VALUE not in page and 'name="password"' not in page
    refusals = AuditEvent.objects.filter(action="reveal_refused", setting_key="openai_api_key")
    assert refusals.count() >= 2
    assert {e.details["result"] for e in refusals} == {"service_only"}
    assert not AuditEvent.objects.filter(action="revealed").exists()


def test_the_change_page_offers_no_reveal_for_a_service_only_key(
    key_admin_client, service_only, stored
) -> None:
    page = key_admin_client.get(f"{SETTINGS}{service_only.pk}/change/").content.decode()
    assert "Reveal value" not in page
    other = stored["anthropic_api_key"]
    assert "Reveal value" in key_admin_client.get(f"{SETTINGS}{other.pk}/change/").content.decode()


def test_service_only_is_set_in_the_admin_and_cannot_be_cleared_there(
    key_admin_client, stored
) -> None:
    setting = stored["openai_api_key"]
    url = f"{SETTINGS}{setting.pk}/change/"
    form = {"key": "openai_api_key", "provider": "openai", "value": "", "description": ""}
    form["version"] = str(setting.version)
    key_admin_client.post(url, {**form, "expires_at": "", "service_only": "on"})
    assert Setting.objects.get(pk=setting.pk).service_only
    key_admin_client.post(url, {**form, "expires_at": ""})  # the box left unticked
    assert Setting.objects.get(pk=setting.pk).service_only
    assert b'name="service_only"' not in key_admin_client.get(url).content
