"""Service-only settings: services read them with a token; people can never reveal them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import ValidationError
from django.test import Client

from settings_app import roles
from settings_app.api import services
from settings_app.api.models import ServiceToken
from settings_app.api.service_only import GRANT_PERMISSION
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


# --- tokens that cover service-only settings (issue 22, item 7) ---------------------------

TOKENS = "/admin/settings_app/servicetoken/"


def _create_token_page(client: Client, scope: str) -> Any:
    form = client.get(f"{TOKENS}add/")
    data = {"name": "reader", "scope": scope, "expires_in_days": "30", "allowed_networks": ""}
    return client.post(f"{TOKENS}add/", {**data, "once": form.context["once"]})


@pytest.mark.parametrize("scope", ["openai_api_key", "openai_*", "*"])
def test_a_key_admin_cannot_mint_a_token_that_reads_a_service_only_setting(
    key_admin_client, service_only, scope
) -> None:
    response = _create_token_page(key_admin_client, scope)
    assert response.status_code == 200
    page = response.content.decode()
    assert "settings_app.grant_service_only" in page and "openai_api_key" in page
    assert not ServiceToken.objects.exists()
    assert not AuditEvent.objects.filter(action="token_created").exists()


def test_a_key_admin_still_mints_tokens_for_other_settings(key_admin_client, service_only) -> None:
    response = _create_token_page(key_admin_client, "anthropic_*")
    assert response.status_code == 200 and ServiceToken.objects.filter(name="reader").exists()


def test_no_role_grants_service_only_settings_but_superusers_may(
    service_only, django_user_model
) -> None:
    assert not any(GRANT_PERMISSION in perms for perms in roles.ROLES.values())
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(root)
    response = _create_token_page(client, "openai_*")
    assert response.status_code == 200
    token = ServiceToken.objects.get(name="reader")
    event = AuditEvent.objects.get(action="token_created")
    assert event.details["service_only"] == ["openai_api_key"]
    page = client.get(f"{TOKENS}{token.pk}/change/").content.decode()
    assert "Service-only settings it reads" in page and "openai_api_key" in page


def test_the_permission_is_checked_by_the_service_itself(service_only, django_user_model) -> None:
    kim = django_user_model.objects.create_user("kim2", password=PASSWORD, is_staff=True)
    kim.groups.add(Group.objects.get(name=roles.KEY_ADMINS))
    with pytest.raises(ValidationError) as raised:
        services.create_token("reader", ["openai_?pi_key"], created_by=kim)
    assert "scope" in raised.value.message_dict
    kim.user_permissions.add(Permission.objects.get(codename="grant_service_only"))
    kim = django_user_model.objects.get(pk=kim.pk)  # permissions are cached per user object
    assert services.create_token("reader", ["openai_?pi_key"], created_by=kim).token.pk
