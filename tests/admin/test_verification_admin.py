"""Verifying keys from the admin: a Verify button per key and a bulk action, against a stand-in
provider server on 127.0.0.1, with the outcome as an admin message of the matching level."""

from __future__ import annotations

import pytest

from settings_app.logs.redaction import REDACTED
from settings_app.models import Setting, VerificationStatus
from tests.admin.conftest import CHANGELIST, LeakCheckingClient, change_url, messages_of


def verify_url(setting: Setting) -> str:
    return f"{CHANGELIST}{setting.pk}/verify/"


def test_the_change_page_has_a_verify_button_posting_with_csrf(admin_client, stored):
    page = admin_client.get(change_url(stored)).content.decode()

    form = page.split('id="verify-form"')[0].rsplit("<form", 1)[1]
    assert f'action="{verify_url(stored)}"' in form
    assert 'method="post"' in form
    assert 'name="csrfmiddlewaretoken"' in page.split('id="verify-form"')[1].split("</form>")[0]


def test_verify_reports_a_valid_key_as_success(admin_client, stored, provider_server, canary):
    provider_server.accept(canary)

    response = admin_client.post(verify_url(stored), follow=True)

    assert response.redirect_chain[-1][0] == change_url(stored)
    [(level, text)] = messages_of(response)
    assert level == "success"
    assert text.startswith("Verified openai_api_key: Valid.")
    stored.refresh_from_db()
    assert stored.verification_status == VerificationStatus.VALID
    assert provider_server.requests[-1].key == canary


def test_verify_reports_a_rejected_key_as_error(admin_client, stored, provider_server):
    response = admin_client.post(verify_url(stored), follow=True)

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert "Invalid" in text
    assert "Invalid" in response.content.decode()  # the status shown on the change page


@pytest.mark.parametrize(
    ("status", "body", "label"),
    [
        (403, b"{}", "Valid (restricted)"),
        (429, b'{"error": {"code": "insufficient_quota"}}', "No quota"),
        (503, b"{}", "Unreachable"),
    ],
)
def test_verify_reports_partial_outcomes_as_warnings(
    admin_client, stored, provider_server, canary, status, body, label
):
    provider_server.accept(canary, status=status, body=body)

    response = admin_client.post(verify_url(stored), follow=True)

    assert messages_of(response) == [("warning", messages_of(response)[0][1])]
    assert label in messages_of(response)[0][1]


def test_an_echoed_key_is_redacted_from_the_message(admin_client, stored, canary, monkeypatch):
    from settings_app.providers import classification, verification

    def echoing(setting, *, client=None):
        return classification.VerificationResult("invalid", f"bad key {setting.value}")

    monkeypatch.setattr(verification, "verify_setting", echoing)

    response = admin_client.post(verify_url(stored), follow=True)

    assert messages_of(response)[0][1].endswith(f"bad key {REDACTED}")


def test_a_stored_detail_that_echoes_the_key_is_shown_redacted(admin_client, stored):
    stored.record_verification(VerificationStatus.INVALID, f"provider said {stored.value} is bad")

    page = admin_client.get(change_url(stored)).content.decode()

    assert f"provider said {REDACTED} is bad" in page


def test_verify_accepts_only_post(admin_client, stored):
    assert admin_client.get(verify_url(stored)).status_code == 405


def test_verify_is_csrf_protected(superuser, stored, leak_log):
    client = LeakCheckingClient(enforce_csrf_checks=True)
    client.secrets = leak_log
    client.force_login(superuser)

    assert client.post(verify_url(stored)).status_code == 403


def test_verify_needs_change_permission(viewer_client, stored, provider_server):
    assert viewer_client.post(verify_url(stored)).status_code == 403
    assert provider_server.requests == []


def test_verify_of_a_missing_key_is_404(admin_client, db):
    assert admin_client.post(f"{CHANGELIST}999999/verify/").status_code == 404


def test_bulk_action_verifies_each_selected_key(
    admin_client, stored, provider_server, canary, superuser, leak_log
):
    provider_server.accept(canary)
    bad = Setting.objects.create(key="groq_api_key", provider="groq", value="gsk_" + "0" * 30)
    leak_log.append(bad.value)
    action = {"action": "verify_selected", "_selected_action": [stored.pk, bad.pk]}

    response = admin_client.post(CHANGELIST, action, follow=True)

    assert sorted(messages_of(response)) == [
        ("error", "Verified groq_api_key: Invalid. HTTP 401: the provider rejected the key."),
        ("success", "Verified openai_api_key: Valid. HTTP 200: the provider accepted the key."),
    ]
    statuses = dict(Setting.objects.values_list("key", "verification_status"))
    assert statuses == {"groq_api_key": "invalid", "openai_api_key": "valid"}


def test_bulk_action_is_not_offered_to_view_only_users(viewer_client, stored):
    page = viewer_client.get(CHANGELIST).content.decode()

    assert "verify_selected" not in page


def test_view_only_users_cannot_run_the_bulk_action(viewer_client, stored, provider_server):
    action = {"action": "verify_selected", "_selected_action": [stored.pk]}

    viewer_client.post(CHANGELIST, action)

    assert provider_server.requests == []
    stored.refresh_from_db()
    assert stored.verification_status == VerificationStatus.UNVERIFIED
