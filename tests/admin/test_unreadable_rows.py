"""One row whose value cannot be decrypted never takes the Provider keys admin down.

Each test breaks one row the way the hardening issue reproduced it (see
tests/support/unreadable_rows.py) and checks that every page still works for every role, that
the row says why it cannot be read and where to find what to do, and that the failure is
audited once, not once per page view.
No page may show the ciphertext or the plaintext: LeakCheckingClient scans every response.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from settings_app import roles
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.admin.conftest import (
    CHANGELIST,
    LeakCheckingClient,
    change_url,
    form_data,
    make_canary,
    messages_of,
)
from tests.support.role_users import make_user
from tests.support.unreadable_rows import BY_NAME, Breakage, every_breakage, raw_value

HELP = CHANGELIST + "decryption-help/"
SALT_DIFFERS = "The salt or keys differ from those that wrote the data"
UNREADABLE_MESSAGE = (
    "openai_api_key cannot be decrypted (failed authentication), so nothing was sent. "
    "Restore the value from a backup, or enter it again."
)


@pytest.fixture
def editor(db: None) -> User:
    return make_user("eddie", roles.EDITORS)


@pytest.fixture
def key_admin(db: None) -> User:
    return make_user("kim", roles.KEY_ADMINS)


@pytest.fixture
def readable(superuser: User, leak_log: list[str]) -> Setting:
    value = make_canary()
    leak_log.append(value)
    return Setting.objects.create(key="anthropic_backup", value=value, provider="openai")


def client_for(user: User, leak_log: list[str]) -> LeakCheckingClient:
    client = LeakCheckingClient()
    client.secrets = leak_log
    client.force_login(user)
    return client


def break_stored(breakage: Breakage, stored: Setting, settings, leak_log: list[str]) -> Setting:
    """Break `stored`; its ciphertext joins the secrets no page may show."""
    breakage.break_row(stored, settings)
    leak_log.append(raw_value(stored))
    return stored


def failures(setting: Setting) -> list[dict]:
    events = AuditEvent.objects.filter(
        action=AuditAction.DECRYPTION_FAILED, setting_key=setting.key
    )
    return [event.details for event in events]


def row_of(page: str, key: str) -> str:
    """The changelist's table row for `key`."""
    return next(row for row in page.split("<tr") if f">{key}</a>" in row)


@every_breakage
def test_the_list_renders_and_marks_the_bad_row_with_its_reason(
    breakage, admin_client, stored, settings, leak_log, readable
):
    break_stored(breakage, stored, settings, leak_log)
    if breakage.name == "salt changed":  # the salt broke every row: make a readable one anew
        readable = Setting.objects.create(key="fresh", value=make_canary(), provider="openai")
        leak_log.append(readable.value)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    bad = row_of(page, stored.key)
    assert "Cannot be decrypted" in bad
    assert breakage.shown in bad
    assert f'href="{HELP}#{breakage.reason}"' in bad
    good = row_of(page, readable.key)
    assert f"sk-proj-…{readable.value[-4:]}" in good
    assert "Cannot be decrypted" not in good
    assert "$kv" not in page


@pytest.mark.parametrize("role", ["viewer", "editor", "key_admin", "superuser"])
def test_every_role_gets_the_list_and_the_change_page(role, request, stored, settings, leak_log):
    break_stored(BY_NAME["truncated"], stored, settings, leak_log)
    client = client_for(request.getfixturevalue(role), leak_log)

    assert client.get(CHANGELIST).status_code == 200
    page = client.get(change_url(stored))
    assert page.status_code == 200
    assert "Cannot be decrypted" in page.content.decode()


def test_the_help_page_says_what_to_do_for_each_reason(viewer_client, stored):
    page = viewer_client.get(HELP).content.decode()

    assert 'id="unknown_key"' in page and "KEYVAULT_PRIMARY_KEY_FALLBACKS" in page
    assert 'id="not_encrypted"' in page and "KEYVAULT_SUPPORT_UNENCRYPTED_DATA" in page
    assert 'id="failed_authentication"' in page and "enter it again" in page


def test_the_help_page_needs_a_staff_login(client, db):
    response = client.get(HELP)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_list_query_count_does_not_grow_with_unreadable_rows(
    admin_client, superuser, settings, leak_log, django_assert_num_queries
):
    rows = [
        Setting.objects.create(key=f"k{n}", value="v" * 20, updated_by=superuser) for n in range(12)
    ]
    broken = BY_NAME["truncated"]
    broken.break_row(rows[0], settings)
    admin_client.get(CHANGELIST)  # the first view audits the failure
    with CaptureQueriesContext(connection) as one_bad_row:
        admin_client.get(CHANGELIST)
    expected = len(one_bad_row.captured_queries)  # read now: each request clears the log
    for row in rows[1:]:
        broken.break_row(row, settings)
    admin_client.get(CHANGELIST)

    with django_assert_num_queries(expected):
        page = admin_client.get(CHANGELIST).content.decode()
    assert page.count("Cannot be decrypted") == 12


@every_breakage
def test_an_editor_replaces_the_unreadable_value(breakage, editor, stored, settings, leak_log):
    break_stored(breakage, stored, settings, leak_log)
    client = client_for(editor, leak_log)
    replacement = make_canary()
    leak_log.append(replacement)

    page = client.get(change_url(stored)).content.decode()
    assert '<input type="password" name="value"' in page
    response = client.post(change_url(stored), form_data(value=replacement), follow=True)

    messages = messages_of(response)
    assert any(level == "success" and "changed successfully" in text for level, text in messages)
    errors = [text for level, text in messages if level == "error"]
    if breakage.name == "salt changed":  # the list it lands on still warns of the salt
        assert len(errors) == 1 and errors[0].startswith(SALT_DIFFERS)
    else:
        assert errors == []
    assert Setting.objects.get_value(stored.key) == replacement


def test_saving_an_unreadable_row_without_a_new_value_asks_for_one(
    editor, stored, settings, leak_log
):
    break_stored(BY_NAME["truncated"], stored, settings, leak_log)
    before = raw_value(stored)
    client = client_for(editor, leak_log)

    response = client.post(change_url(stored), form_data(description="Renamed"))

    assert response.status_code == 200
    assert "cannot be decrypted" in response.content.decode()
    assert raw_value(stored) == before
    assert Setting.objects.get(pk=stored.pk).description == stored.description


@every_breakage
def test_a_key_admin_deletes_the_unreadable_row(breakage, key_admin, stored, settings, leak_log):
    break_stored(breakage, stored, settings, leak_log)
    client = client_for(key_admin, leak_log)
    delete = f"{CHANGELIST}{stored.pk}/delete/"

    assert client.get(delete).status_code == 200
    response = client.post(delete, {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert not Setting.objects.filter(pk=stored.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DELETED, setting_key=stored.key).exists()


def test_the_bulk_delete_action_removes_unreadable_rows(
    admin_client, stored, readable, settings, leak_log
):
    break_stored(BY_NAME["truncated"], stored, settings, leak_log)
    action = {"action": "delete_selected", "_selected_action": [stored.pk, readable.pk]}

    confirmation = admin_client.post(CHANGELIST, action)
    assert "Are you sure" in confirmation.content.decode()
    admin_client.post(CHANGELIST, {**action, "post": "yes"}, follow=True)

    assert not Setting.objects.exists()


def test_the_history_page_works(admin_client, stored, settings, leak_log):
    break_stored(BY_NAME["fallback removed"], stored, settings, leak_log)

    assert admin_client.get(f"{CHANGELIST}{stored.pk}/history/").status_code == 200


def test_verify_reports_the_row_as_unreadable_and_sends_nothing(
    admin_client, stored, settings, leak_log, provider_server
):
    break_stored(BY_NAME["fallback removed"], stored, settings, leak_log)

    response = admin_client.post(f"{CHANGELIST}{stored.pk}/verify/", follow=True)

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith("openai_api_key cannot be decrypted (unknown key id), so nothing")
    assert provider_server.requests == []


def test_the_verify_action_verifies_the_readable_rows_and_reports_the_rest(
    admin_client, stored, readable, settings, leak_log, provider_server
):
    break_stored(BY_NAME["truncated"], stored, settings, leak_log)
    provider_server.accept(readable.value)
    action = {"action": "verify_selected", "_selected_action": [stored.pk, readable.pk]}

    response = admin_client.post(CHANGELIST, action, follow=True)

    assert sorted(messages_of(response)) == [
        ("error", UNREADABLE_MESSAGE),
        ("success", "Verified anthropic_backup: Valid. HTTP 200: the provider accepted the key."),
    ]
    assert [r.key for r in provider_server.requests] == [readable.value]


def test_each_failure_is_audited_once_not_once_per_view(admin_client, stored, settings, leak_log):
    break_stored(BY_NAME["fallback removed"], stored, settings, leak_log)
    stored_key_id = raw_value(stored).split("$")[3]

    for _ in range(3):
        admin_client.get(CHANGELIST)
        admin_client.get(change_url(stored))

    [details] = failures(stored)
    assert details["reason"] == "unknown_key"
    assert details["key_id"] == stored_key_id


def test_a_row_broken_again_after_a_replacement_is_audited_again(
    admin_client, stored, settings, leak_log
):
    truncated = BY_NAME["truncated"]
    break_stored(truncated, stored, settings, leak_log)
    admin_client.get(CHANGELIST)
    replacement = make_canary()
    leak_log.append(replacement)
    admin_client.post(change_url(stored), form_data(value=replacement))
    break_stored(truncated, stored, settings, leak_log)  # the same key id and reason again

    admin_client.get(CHANGELIST)
    admin_client.get(CHANGELIST)

    assert [details["reason"] for details in failures(stored)] == ["failed_authentication"] * 2


def test_the_audit_event_holds_no_ciphertext(admin_client, stored, settings, leak_log):
    break_stored(BY_NAME["truncated"], stored, settings, leak_log)
    ciphertext = raw_value(stored)

    admin_client.get(CHANGELIST)

    [event] = AuditEvent.objects.filter(action=AuditAction.DECRYPTION_FAILED)
    assert ciphertext[16:40] not in str(event.details)
    assert "$kv" not in str(event.details)
