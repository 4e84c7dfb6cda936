"""The "Provider keys" admin as its users see it: keys go in once and only ever come out masked.

Every response in these journeys passes through LeakCheckingClient, which fails the test if a
page, header or cookie contains a stored key (or its masked-away middle); `leak_log` does the
same for log records and the admin's LogEntry history.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from settings_app.models import Setting
from tests.admin.conftest import (
    ADD,
    CHANGELIST,
    change_url,
    form_data,
    make_canary,
    messages_of,
)


def raw_value(key: str) -> str:
    """The value column exactly as the database holds it."""
    table = connection.ops.quote_name(Setting._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {connection.ops.quote_name('value')} FROM {table} "
            f"WHERE {connection.ops.quote_name('key')} = %s",
            [key],
        )
        return cursor.fetchone()[0]


def test_add_stores_ciphertext_and_lists_the_key_masked(admin_client, canary, superuser):
    assert admin_client.get(ADD).status_code == 200

    response = admin_client.post(ADD, form_data(value=canary), follow=True)

    assert messages_of(response)[-1][0] == "success"
    stored = raw_value("openai_api_key")
    assert stored.startswith("$kv1$")
    assert canary not in stored
    setting = Setting.objects.get(key="openai_api_key")
    assert setting.value == canary
    assert setting.created_by == setting.updated_by == superuser
    listing = admin_client.get(CHANGELIST).content.decode()
    assert f"sk-proj-…{canary[-4:]}" in listing
    assert "root" in listing  # updated by


def test_pasted_whitespace_is_stripped_before_storing(admin_client, canary):
    admin_client.post(ADD, form_data(value=f"  {canary}\n"))

    assert Setting.objects.get(key="openai_api_key").value == canary


def test_change_page_shows_only_the_mask_and_an_empty_password_input(admin_client, stored):
    page = admin_client.get(change_url(stored)).content.decode()

    assert f"sk-proj-…{stored.value[-4:]}" in page
    assert '<input type="password" name="value"' in page
    assert 'autocomplete="new-password"' in page
    assert "Leave blank to keep the current key" in page


def test_a_new_value_replaces_the_stored_one(admin_client, stored, leak_log):
    replacement = make_canary()
    leak_log.append(replacement)

    data = form_data(value=replacement, description=stored.description)
    response = admin_client.post(change_url(stored), data, follow=True)

    assert messages_of(response)[-1][0] == "success"
    stored.refresh_from_db()
    assert stored.value == replacement
    assert LogEntry.objects.get().get_change_message() == "Changed Value."


def test_a_blank_value_keeps_the_stored_one(admin_client, stored, canary):
    data = form_data(value="", description="Rotated quarterly")

    admin_client.post(change_url(stored), data, follow=True)

    stored.refresh_from_db()
    assert stored.value == canary
    assert stored.description == "Rotated quarterly"
    assert LogEntry.objects.get().get_change_message() == "Changed Description."


def test_the_value_is_required_when_adding(admin_client):
    response = admin_client.post(ADD, form_data(value=""))

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Setting.objects.exists()


def test_an_invalid_key_name_is_explained_and_the_value_not_echoed(admin_client, canary):
    response = admin_client.post(ADD, form_data(key="bad key/name", value=canary))

    page = response.content.decode()
    assert "Character 4 of the key is a space, which is not allowed" in page
    assert '<input type="password" name="value"' in page  # re-rendered, empty
    assert not Setting.objects.exists()


def test_an_openai_admin_key_is_refused_with_the_reason(admin_client, leak_log):
    admin_key = make_canary("sk-admin-")
    leak_log.append(admin_key)

    response = admin_client.post(ADD, form_data(value=admin_key))

    page = response.content.decode()
    assert "Refused: this is an OpenAI admin key, which manages the organisation" in page
    assert not Setting.objects.exists()


def test_an_admin_key_is_refused_on_change_too(admin_client, stored, leak_log, canary):
    admin_key = make_canary("sk-admin-")
    leak_log.append(admin_key)

    response = admin_client.post(change_url(stored), form_data(value=admin_key))

    assert "Refused: this is an OpenAI admin key" in response.content.decode()
    stored.refresh_from_db()
    assert stored.value == canary


def test_a_key_without_the_usual_prefix_is_saved_with_a_warning(admin_client, leak_log):
    unusual = "gsk_CANARY-" + "f" * 24
    leak_log.append(unusual)

    response = admin_client.post(ADD, form_data(value=unusual), follow=True)

    levels = dict(messages_of(response))
    assert "OpenAI keys usually start with" in levels["warning"]
    assert Setting.objects.get().value == unusual


def test_provider_is_prefilled_from_a_known_key_name(admin_client, canary):
    page = admin_client.get(ADD + "?key=anthropic_api_key").content.decode()
    assert '<option value="anthropic" selected>' in page

    admin_client.post(ADD, form_data(key="mistral_api_key", provider="other", value=canary))
    assert Setting.objects.get().provider == "mistral"


def test_an_explicit_provider_wins_over_the_key_name(admin_client, canary):
    admin_client.post(ADD, form_data(key="groq_api_key", provider="openai", value=canary))

    assert Setting.objects.get().provider == "openai"


def test_a_value_in_the_add_url_is_ignored(admin_client, canary):
    page = admin_client.get(f"{ADD}?key=openai_api_key&value={canary}")

    assert page.status_code == 200  # the scan proves the value was not rendered


def test_history_delete_and_action_pages_show_no_value(admin_client, stored):
    admin_client.post(change_url(stored), form_data(description="x"))
    history = admin_client.get(f"{CHANGELIST}{stored.pk}/history/")
    assert "Changed Description." in history.content.decode()
    assert admin_client.get(f"{CHANGELIST}{stored.pk}/delete/").status_code == 200

    action = {"action": "delete_selected", "_selected_action": [stored.pk]}
    confirmation = admin_client.post(CHANGELIST, action)
    assert "Are you sure" in confirmation.content.decode()
    admin_client.post(CHANGELIST, {**action, "post": "yes"}, follow=True)

    assert not Setting.objects.exists()
    assert admin_client.scanned >= 6


def test_search_finds_keys_by_name_and_description_never_by_value(admin_client, stored, canary):
    assert "openai_api_key" in admin_client.get(CHANGELIST, {"q": "openai"}).content.decode()
    by_description = admin_client.get(CHANGELIST, {"q": "Production"}).content.decode()
    assert "openai_api_key" in by_description

    by_value = admin_client.get(CHANGELIST, {"q": canary[8:20]})

    assert by_value.status_code == 200
    assert "0 results" in by_value.content.decode()


@pytest.mark.parametrize(
    "lookup", ["value", "value__isnull", "value_fingerprint__startswith", "value_fingerprint"]
)
def test_lookups_on_the_value_are_refused(admin_client, stored, lookup):
    response = admin_client.get(CHANGELIST, {lookup: "a"})

    assert response.status_code == 400


def test_list_filters_by_provider_and_status(admin_client, stored):
    Setting.objects.create(key="other_key", value="x" * 20, provider="groq")

    by_provider = admin_client.get(CHANGELIST, {"provider__exact": "groq"}).content.decode()
    by_status = admin_client.get(CHANGELIST, {"verification_status__exact": "valid"})

    assert "other_key" in by_provider
    assert by_provider.count('class="action-select"') == 1
    assert "0 results" in by_status.content.decode()


def test_the_list_is_titled_provider_keys_and_highlights_expired_keys(admin_client, stored):
    stored.expires_at = timezone.localdate() - datetime.timedelta(days=1)
    stored.save()

    page = admin_client.get(CHANGELIST).content.decode()

    assert "<h1>Provider keys</h1>" in page
    assert '<strong class="expired">' in page
    assert "(expired)" in page


def test_list_query_count_does_not_grow_with_rows(
    admin_client, superuser, django_assert_num_queries
):
    Setting.objects.create(key="k0", value="v" * 20, updated_by=superuser)
    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(CHANGELIST)
    for n in range(1, 30):
        Setting.objects.create(key=f"k{n}", value="v" * 20, updated_by=superuser)

    with django_assert_num_queries(len(one_row.captured_queries)):
        page = admin_client.get(CHANGELIST).content.decode()
    assert page.count('class="action-select"') == 30


def test_a_view_only_user_sees_masked_keys_and_cannot_change_them(viewer_client, stored, canary):
    listing = viewer_client.get(CHANGELIST).content.decode()
    assert f"sk-proj-…{canary[-4:]}" in listing

    page = viewer_client.get(change_url(stored)).content.decode()
    assert f"sk-proj-…{canary[-4:]}" in page
    assert 'name="value"' not in page
    assert 'name="_save"' not in page
    assert "Verify key" not in page

    response = viewer_client.post(change_url(stored), {"key": "stolen", "value": "x" * 20})
    assert response.status_code == 403
    assert viewer_client.get(ADD).status_code == 403
    stored.refresh_from_db()
    assert stored.value == canary


# --- a value stays bound to the provider it was entered for ---------------------------------
def test_changing_the_provider_without_a_new_value_is_refused(admin_client, stored, canary):
    response = admin_client.post(change_url(stored), form_data(provider="xai"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "You changed the provider from OpenAI to xAI" in page
    assert "paste the xAI key" in page
    stored.refresh_from_db()
    assert (stored.provider, stored.value) == ("openai", canary)


def test_changing_the_provider_with_a_new_value_is_saved(admin_client, stored, leak_log):
    xai_key = make_canary("xai-")
    leak_log.append(xai_key)

    response = admin_client.post(change_url(stored), form_data(provider="xai", value=xai_key))

    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.provider, stored.value) == ("xai", xai_key)


# --- the form is no decryption oracle --------------------------------------------------------
def test_a_pasted_ciphertext_is_refused_and_never_opened(admin_client, stored, leak_log):
    ciphertext = raw_value("openai_api_key")  # from a dump or a backup
    leak_log.append(ciphertext)

    response = admin_client.post(ADD, form_data(key="copied_key", value=ciphertext))

    assert response.status_code == 200
    assert "start with &#x27;$kv&#x27; are reserved" in response.content.decode()
    assert not Setting.objects.filter(key="copied_key").exists()


def test_a_value_with_kv_inside_is_an_ordinary_value(admin_client, leak_log):
    value = "mypw-kv1$abc-0123456789"
    leak_log.append(value)

    admin_client.post(ADD, form_data(key="service_password", provider="other", value=value))

    assert Setting.objects.get(key="service_password").value == value


# --- what was typed is what is stored ------------------------------------------------------
def test_an_other_value_keeps_its_inner_whitespace_and_line_breaks(admin_client, leak_log):
    value = "pass phrase with spaces\r\nand a second line"
    leak_log.append(value)

    admin_client.post(ADD, form_data(key="passphrase", provider="other", value=f"  {value}\n"))

    assert Setting.objects.get(key="passphrase").value == value


def test_inner_whitespace_in_a_provider_key_is_refused_without_quoting_it(admin_client, canary):
    split = f"{canary[:20]} {canary[20:]}"

    response = admin_client.post(ADD, form_data(value=split))

    page = response.content.decode()
    assert "OpenAI keys never contain spaces or line breaks" in page
    assert not Setting.objects.exists()
