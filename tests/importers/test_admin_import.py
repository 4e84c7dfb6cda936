"""The admin's "Import .env" page: key admins only, masks in the preview, confirm once, then save.

Every response goes through LeakCheckingClient, which fails the test if a page shows a key.
"""

from __future__ import annotations

import json

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from settings_app import roles
from settings_app.importers import admin_views
from settings_app.models import AuditAction, AuditEvent, AuditSource, Setting
from tests.admin.conftest import CHANGELIST, LeakCheckingClient, leak_log, make_canary

__all__ = ["leak_log"]  # a fixture these tests share with the admin tests

URL = "/admin/settings_app/setting/import-env/"


@pytest.fixture
def canaries(leak_log):
    values = {"openai": make_canary("sk-proj-"), "groq": make_canary("gsk_")}
    leak_log.extend(values.values())
    return values


@pytest.fixture
def env_text(canaries):
    openai, groq = canaries["openai"], canaries["groq"]
    return f"DEBUG=true\nexport OPENAI_API_KEY={openai}\nGROQ_API_KEY='{groq}'\n"


def member_of(group_name: str) -> User:
    user = User.objects.create_user(group_name.split()[-1], password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def logged_in(user: User, leak_log: list[str], **kwargs) -> LeakCheckingClient:
    client = LeakCheckingClient(**kwargs)
    client.secrets = leak_log
    client.force_login(user)
    return client


@pytest.fixture
def key_admin(db):
    return member_of(roles.KEY_ADMINS)


@pytest.fixture
def key_admin_client(key_admin, leak_log):
    return logged_in(key_admin, leak_log)


def preview(client, text=None, upload=None, **options):
    data = {"step": "preview", "text": text or "", **{k: "on" for k, v in options.items() if v}}
    if upload is not None:
        data["env_file"] = upload
    return client.post(URL, data)


def confirm(client, response):
    return client.post(URL, {"step": "confirm", "token": response.context["token"]})


@pytest.mark.parametrize("group", [roles.VIEWERS, roles.EDITORS])
def test_viewers_and_editors_may_not_import(db, leak_log, group, env_text):
    client = logged_in(member_of(group), leak_log)
    assert client.get(URL).status_code == 403
    assert preview(client, env_text).status_code == 403
    assert "Import .env" not in client.get(CHANGELIST).content.decode()
    assert not Setting.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_key_admins_see_the_link_and_the_form(key_admin_client):
    assert f'href="{URL}"' in key_admin_client.get(CHANGELIST).content.decode()
    page = key_admin_client.get(URL)
    assert page.status_code == 200 and 'name="env_file"' in page.content.decode()


def test_preview_shows_masks_and_saves_nothing(key_admin_client, env_text, canaries):
    response = preview(key_admin_client, env_text)

    page = response.content.decode()
    assert response.status_code == 200
    assert f"sk-proj-…{canaries['openai'][-4:]}" in page
    assert "would import" in page and "DEBUG" not in page
    assert not Setting.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORTED).exists()


def test_confirm_imports_as_the_user_and_lists_lines_to_delete(
    key_admin_client, key_admin, env_text, canaries
):
    response = confirm(key_admin_client, preview(key_admin_client, env_text))

    page = response.content.decode()
    assert "imported" in page
    assert "line 2: OPENAI_API_KEY (in keyvault as openai_api_key)" in page
    assert Setting.objects.get_value("openai_api_key") == canaries["openai"]
    assert Setting.objects.get(key="groq_api_key").created_by == key_admin
    event = AuditEvent.objects.get(action=AuditAction.IMPORTED, setting_key="groq_api_key")
    assert (event.actor, event.source) == (key_admin, AuditSource.ADMIN)
    assert event.details["imported_from"] == "pasted text line 3"


def test_uploaded_file_is_imported(key_admin_client, env_text, canaries):
    upload = SimpleUploadedFile("production.env", env_text.encode())
    response = confirm(key_admin_client, preview(key_admin_client, upload=upload))
    assert "production.env" in response.content.decode()
    assert Setting.objects.get_value("groq_api_key") == canaries["groq"]


def test_oversized_upload_is_refused(key_admin_client):
    upload = SimpleUploadedFile(".env", b"A=1\n" * (admin_views.MAX_UPLOAD_BYTES // 4 + 1))
    page = preview(key_admin_client, upload=upload).content.decode()
    assert "at most 256 KiB" in page


def test_a_confirmation_is_used_once(key_admin_client, env_text):
    shown = preview(key_admin_client, env_text)
    confirm(key_admin_client, shown)
    Setting.objects.all().delete()

    replay = confirm(key_admin_client, shown)

    assert "already used or has expired" in replay.content.decode()
    assert not Setting.objects.exists()


def test_two_posts_of_one_confirmation_from_the_same_session_state_import_once(
    key_admin_client, env_text
):
    """Two tabs or two concurrent requests carry the session as it was when the preview was
    shown: the confirmation is spent in the database, once, not popped from the session."""
    shown = preview(key_admin_client, env_text)
    session = key_admin_client.session
    saved = dict(session.items())
    confirm(key_admin_client, shown)
    Setting.objects.all().delete()
    session = key_admin_client.session  # the same session, put back as the second request read it
    session.update(saved)
    session.save()

    second = confirm(key_admin_client, shown)

    assert "already used or has expired" in second.content.decode()
    assert not Setting.objects.exists()


def test_a_confirmation_expires_with_its_ticket(key_admin_client, env_text, settings):
    settings.KEYVAULT_STEP_UP_SECONDS = 3600  # the ticket, not the second factor, runs out
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        shown = preview(key_admin_client, env_text)
    with time_machine.travel(start + admin_views.PENDING_TICKET.lifetime, tick=False):
        late = confirm(key_admin_client, shown)
    assert "already used or has expired" in late.content.decode()
    assert not Setting.objects.exists()


def test_a_token_from_another_session_is_refused(key_admin, leak_log, env_text):
    shown = preview(logged_in(key_admin, leak_log), env_text)
    other_session = logged_in(key_admin, leak_log)
    assert "already used or has expired" in confirm(other_session, shown).content.decode()
    assert not Setting.objects.exists()


def test_session_holds_the_pending_file_encrypted(key_admin_client, env_text, canaries):
    preview(key_admin_client, env_text)
    session_key = key_admin_client.cookies["sessionid"].value
    stored = json.dumps(SessionStore(session_key=session_key).load())
    for value in canaries.values():
        assert value not in stored and value[8:-4] not in stored
    assert "$kv1$r$" in stored


def test_pasted_text_is_not_echoed_when_the_form_is_shown_again(key_admin_client, canaries):
    upload = SimpleUploadedFile(".env", b"X=1\n")
    text = f"OPENAI_API_KEY={canaries['openai']}"
    page = preview(key_admin_client, text, upload=upload).content.decode()  # both: an error
    assert "one of the two" in page  # and LeakCheckingClient saw no key in the page


def test_duplicates_and_replace_option(key_admin_client, env_text, canaries):
    Setting.objects.create(key="groq_personal", value=canaries["groq"], provider="groq")
    Setting.objects.create(
        key="openai_api_key", value="sk-proj-older-key-0000001", provider="openai"
    )

    kept = preview(key_admin_client, env_text).content.decode()
    assert "already stored as groq_personal" in kept and "different value; kept" in kept

    confirm(key_admin_client, preview(key_admin_client, env_text, replace=True))
    assert Setting.objects.get_value("openai_api_key") == canaries["openai"]
    assert not Setting.objects.filter(key="groq_api_key").exists()


def test_posts_need_the_csrf_token(key_admin, leak_log, env_text):
    client = logged_in(key_admin, leak_log, enforce_csrf_checks=True)
    assert preview(client, env_text).status_code == 403


def test_post_parameters_are_hidden_from_error_reports(key_admin_client, env_text):
    response = preview(key_admin_client, env_text)
    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"


def test_nothing_to_import_offers_no_confirmation(key_admin_client):
    page = preview(key_admin_client, "DEBUG=true\n").content.decode()
    assert "No provider keys in this file." in page and 'value="confirm"' not in page
