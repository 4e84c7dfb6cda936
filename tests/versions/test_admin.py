"""The history page, restore and destroy in the admin, and the change form's stale-save check."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection

from settings_app.models import AuditAction, AuditEvent, Setting, SettingVersion
from tests.admin.conftest import LeakCheckingClient
from tests.support.provider_server import ProviderServer, provider_server_fixture  # noqa: F401
from tests.versions.conftest import KEY, masked, new_key

pytestmark = pytest.mark.django_db

SETTINGS = "/admin/settings_app/setting/"


@pytest.fixture
def watched(values: list[str]) -> list[str]:
    """Every value any test here stores: no page may show one (or its masked-away middle)."""
    return list(values)


def client_for(user: User, watched: list[str]) -> LeakCheckingClient:
    client = LeakCheckingClient()
    client.secrets = watched
    client.force_login(user)
    return client


def history(setting: Setting) -> str:
    return f"{SETTINGS}{setting.pk}/versions/"


def restore(setting: Setting, number: int) -> str:
    return f"{history(setting)}{number}/restore/"


def destroy(setting: Setting, number: int) -> str:
    return f"{history(setting)}{number}/destroy/"


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- the history page -------------------------------------------------------------------------


def test_the_history_shows_one_row_per_version_and_never_a_value(
    three_versions, values, key_admin, watched
) -> None:
    Setting.objects.rollback(KEY, 1)
    page = client_for(key_admin, watched).get(history(three_versions))

    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(r.number, r.mask, r.change, r.by) for r in rows] == [
        (4, masked(values[0]), "restored version 1", "code"),
        (3, masked(values[2]), "new key", "code"),
        (2, masked(values[1]), "new key", "code"),
        (1, masked(values[0]), "first value", "code"),
    ]
    html = page.content.decode()
    for row in rows:
        assert f'data-version="{row.number}"' in html and row.mask in html
    assert html.count("Restore this version") == 3  # not on the current version
    assert "Not verified" in html


def test_a_value_pasted_again_is_shown_as_the_same_key(values, key_admin, watched) -> None:
    for value in (values[0], values[1], values[0]):
        setting = Setting.objects.set_value(KEY, value)
    rows = client_for(key_admin, watched).get(history(setting)).context["rows"]
    assert [r.change for r in rows] == ["same key as version 1", "new key", "first value"]
    assert [r.is_new_key for r in rows] == [False, True, True]


@pytest.mark.parametrize(
    ("role", "restore_button", "destroy_button"),
    [("key_admin", True, True), ("editor", False, False), ("viewer", False, False)],
)
def test_restore_and_destroy_buttons_are_shown_by_permission(
    request, three_versions, watched, role, restore_button, destroy_button
) -> None:
    user = request.getfixturevalue(role)
    html = client_for(user, watched).get(history(three_versions)).content.decode()

    assert ("Restore this version" in html) == restore_button
    assert (">Destroy</a>" in html) == destroy_button


def test_the_list_and_the_change_form_lead_to_the_history(three_versions, key_admin, watched):
    client = client_for(key_admin, watched)
    listing = client.get(SETTINGS).content.decode()
    form = client.get(f"{SETTINGS}{three_versions.pk}/change/").content.decode()

    assert f'href="{history(three_versions)}">v3</a>' in listing
    assert f'href="{history(three_versions)}" class="versionslink">Versions (v3)' in form
    assert 'name="version" value="3"' in form  # the version the form was opened at


# --- restoring --------------------------------------------------------------------------------


def test_restoring_verifies_first_by_default_and_records_the_outcome(
    three_versions, values, key_admin, watched, provider_server: ProviderServer
) -> None:
    provider_server.accept(values[0])
    client = client_for(key_admin, watched)
    form = client.get(restore(three_versions, 1)).content.decode()
    assert re.search(r'<input type="checkbox" name="verify"[^>]* checked', form)

    done = client.post(restore(three_versions, 1), {"verify": "on", "opened_at": "3"}, follow=True)

    setting = Setting.objects.get(pk=three_versions.pk)
    assert (setting.value, setting.version, setting.verification_status) == (values[0], 4, "valid")
    assert provider_server.requests[-1].key == values[0]
    assert messages_of(done)[-1].startswith(
        f"Restored version 1 of {KEY} ({masked(values[0])}) as version 4. OpenAI says: Valid."
    )
    [restored] = AuditEvent.objects.filter(action=AuditAction.VERSION_RESTORED)
    assert restored.actor_label == "kim"


def test_a_version_the_provider_rejects_is_restored_only_after_confirming(
    three_versions, values, key_admin, watched, provider_server: ProviderServer
) -> None:
    client = client_for(key_admin, watched)  # the stand-in rejects every key it was not told of
    asked = client.post(restore(three_versions, 1), {"verify": "on", "opened_at": "3"})

    assert asked.status_code == 200
    assert "OpenAI rejects version 1 now: Invalid." in asked.content.decode()
    assert "Restore anyway" in asked.content.decode()
    assert Setting.objects.get(pk=three_versions.pk).version == 3  # nothing restored yet

    client.post(restore(three_versions, 1), {"opened_at": "3", "confirmed": "True"})

    setting = Setting.objects.get(pk=three_versions.pk)
    assert (setting.value, setting.version, setting.verification_status) == (
        values[0],
        4,
        "invalid",
    )
    assert len(provider_server.requests) == 1  # the confirmation did not ask again


def test_a_forged_confirmation_without_a_check_is_verified_anyway(
    three_versions, key_admin, watched, provider_server: ProviderServer
) -> None:
    response = client_for(key_admin, watched).post(
        restore(three_versions, 1), {"verify": "on", "opened_at": "3", "confirmed": "True"}
    )
    assert "rejects version 1 now" in response.content.decode()
    assert Setting.objects.get(pk=three_versions.pk).version == 3


def test_restoring_without_verifying_sends_nothing_to_the_provider(
    three_versions, values, key_admin, watched, provider_server: ProviderServer
) -> None:
    client_for(key_admin, watched).post(restore(three_versions, 2), {"opened_at": "3"})

    assert Setting.objects.get_value(KEY) == values[1]
    assert provider_server.requests == []


def test_a_restore_from_a_page_opened_before_a_change_is_refused(
    three_versions, values, key_admin, watched
) -> None:
    client = client_for(key_admin, watched)
    newer = new_key()
    watched.append(newer)
    Setting.objects.set_value(KEY, newer)

    done = client.post(restore(three_versions, 1), {"opened_at": "3"}, follow=True)

    assert "is at version 4, not 3: changed by code at" in messages_of(done)[-1]
    assert Setting.objects.get_value(KEY) == newer


def test_an_editor_cannot_restore(three_versions, editor, watched) -> None:
    client = client_for(editor, watched)
    assert client.get(restore(three_versions, 1)).status_code == 403
    assert client.post(restore(three_versions, 1), {"opened_at": "3"}).status_code == 403
    assert Setting.objects.get(pk=three_versions.pk).version == 3


def test_a_missing_version_is_a_404(three_versions, key_admin, watched) -> None:
    assert client_for(key_admin, watched).get(restore(three_versions, 9)).status_code == 404


# --- destroying -------------------------------------------------------------------------------


def test_a_key_admin_destroys_a_version_after_confirming(three_versions, key_admin, watched):
    client = client_for(key_admin, watched)
    asked = client.get(destroy(three_versions, 2))
    assert "erased for good" in asked.content.decode()
    assert not SettingVersion.objects.get(version=2).is_destroyed

    done = client.post(destroy(three_versions, 2), follow=True)

    row = SettingVersion.objects.get(version=2)
    assert (row.value, row.destroyed_by_label) == (None, "kim")
    assert "Version 2 of openai_api_key was destroyed" in messages_of(done)[-1]
    assert "destroyed by kim" in done.content.decode()
    assert "Restore this version" in done.content.decode()  # still offered for version 1 only
    assert done.content.decode().count("Restore this version") == 1


def test_destroying_the_current_version_is_refused_with_a_reason(
    three_versions, key_admin, watched
) -> None:
    done = client_for(key_admin, watched).post(destroy(three_versions, 3), follow=True)
    assert "is the current value" in messages_of(done)[-1]
    assert SettingVersion.objects.get(version=3).value is not None


# --- the change form's version check ----------------------------------------------------------


def form_data(setting: Setting, **fields: str) -> dict[str, str]:
    return {
        "key": setting.key,
        "provider": setting.provider,
        "value": "",
        "description": "",
        "expires_at": "",
        **fields,
    }


def test_a_stale_save_is_refused_naming_who_changed_the_key_and_when(
    three_versions, values, key_admin, editor, watched
) -> None:
    client = client_for(editor, watched)
    opened = client.get(f"{SETTINGS}{three_versions.pk}/change/")
    assert opened.context["adminform"].form["version"].value() == 3
    theirs, mine = new_key(), new_key()
    watched += [theirs, mine]
    Setting.objects.set_value(KEY, theirs, actor=key_admin)  # meanwhile, someone else

    refused = client.post(
        f"{SETTINGS}{three_versions.pk}/change/",
        form_data(three_versions, value=mine, description="mine", version="3"),
    )

    html = refused.content.decode()
    assert refused.status_code == 200
    assert "This key was changed by kim at " in html and "since you opened this page" in html
    setting = Setting.objects.get(pk=three_versions.pk)
    assert (setting.value, setting.description, setting.version) == (theirs, "", 4)
    [refusal] = AuditEvent.objects.filter(action=AuditAction.STALE_WRITE_REFUSED)
    assert (refusal.actor_label, refusal.details["expected_version"]) == ("eddie", 3)


def test_a_form_that_does_not_say_its_version_saves_nothing(three_versions, editor, watched):
    response = client_for(editor, watched).post(
        f"{SETTINGS}{three_versions.pk}/change/", form_data(three_versions, description="x")
    )
    assert "does not say which version" in response.content.decode()
    assert Setting.objects.get(pk=three_versions.pk).description == ""


def test_a_saved_value_says_its_new_version(three_versions, editor, watched) -> None:
    replacement = new_key()
    watched.append(replacement)
    done = client_for(editor, watched).post(
        f"{SETTINGS}{three_versions.pk}/change/",
        form_data(three_versions, value=replacement, version="3"),
        follow=True,
    )
    assert f"The new value of {KEY} is version 4." in messages_of(done)
    assert SettingVersion.objects.get(version=4).created_by_label == "eddie"


def test_the_history_opens_when_the_current_value_cannot_be_decrypted(
    three_versions, key_admin, watched
) -> None:
    """A damaged current value must not hide the versions an admin could restore."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE settings_app_setting SET value = '$kv1$r$00000000$AAAA' WHERE id = %s",
            [three_versions.pk],
        )
    page = client_for(key_admin, watched).get(history(three_versions))
    assert page.status_code == 200
    assert [row.number for row in page.context["rows"]] == [3, 2, 1]


def test_unknown_ids_are_404(key_admin, watched) -> None:
    client = client_for(key_admin, watched)
    assert client.get(f"{SETTINGS}abc/versions/").status_code == 404
    assert client.get(f"{SETTINGS}999/versions/").status_code == 404
