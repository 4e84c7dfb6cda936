"""The Service tokens admin: key admins only; a new token shown once, never cached; revoke."""

from __future__ import annotations

import pytest
from django.test import Client

from settings_app.api import services, tokens
from settings_app.api.models import ServiceToken
from settings_app.models import AuditEvent
from tests.support.token_forms import ADD, FORM, TOKENS, client_as, shown_token, submit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["key_admin", "superuser"])
def test_a_key_admin_creates_a_token_and_sees_it_once(role) -> None:
    client = client_as(role)
    response = submit(client)
    assert response.status_code == 200
    secret = shown_token(response)
    assert "no-store" in response["Cache-Control"]
    token = ServiceToken.objects.get(name="billing-worker")
    assert token.token_hash == tokens.token_hash(secret)
    assert token.scope == ["openai_api_key", "anthropic_*"]
    assert token.allowed_networks == ["10.0.0.0/8", "2001:db8::/32"]
    assert token.created_by is not None and token.created_by.username == role
    event = AuditEvent.objects.get(action="token_created")
    assert event.actor_label == role and event.source == "admin"
    # Nowhere else: not the list, not the token's page, not the audit trail.
    audit_page = f"/admin/settings_app/auditevent/{event.pk}/change/"
    for url in (TOKENS, f"{TOKENS}{token.pk}/change/", audit_page):
        page = client.get(url)
        assert page.status_code == 200 and secret not in page.content.decode()
        assert "billing-worker" in page.content.decode()


def test_replaying_the_post_shows_no_token() -> None:
    client = client_as("key_admin")
    form = client.get(ADD)
    data = {**FORM, "once": form.context["once"]}
    assert shown_token(client.post(ADD, data))
    replay = client.post(ADD, data)  # a reload of the result page re-posts the form
    assert not tokens.TOKEN_PATTERN.search(replay.content.decode())
    assert "a token is shown only once" in replay.content.decode()
    assert ServiceToken.objects.count() == 1


def test_form_errors_are_shown_on_their_fields_and_nothing_is_created(settings) -> None:
    settings.KEYVAULT_TOKEN_MAX_DAYS = 30
    client = client_as("key_admin")
    response = submit(
        client, {"expires_in_days": "31", "allowed_networks": "intranet", "scope": "a b"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "less than or equal to 30" in errors["expires_in_days"][0]
    assert "is not a network" in errors["allowed_networks"][0]
    assert "contains ' '" in errors["scope"][0]
    assert not ServiceToken.objects.exists()
    assert not tokens.TOKEN_PATTERN.search(response.content.decode())


@pytest.mark.parametrize("role", ["viewer", "editor", "nogroup"])
def test_nobody_but_key_admins_sees_or_makes_tokens(role) -> None:
    services.create_token("etl", ["k"])
    client = client_as(role)
    assert client.get(TOKENS).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, FORM).status_code == 403
    token = ServiceToken.objects.get()
    assert client.post(f"{TOKENS}{token.pk}/revoke/").status_code == 403
    assert ServiceToken.objects.get().revoked_at is None
    assert ServiceToken.objects.count() == 1


def test_anonymous_users_are_sent_to_the_login_page() -> None:
    response = Client().get(ADD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_key_admin_revokes_a_token_from_its_page() -> None:
    created = services.create_token("etl", ["k"])
    client = client_as("key_admin")
    page = client.get(f"{TOKENS}{created.token.pk}/change/")
    assert b"Revoke token" in page.content
    assert client.get(f"{TOKENS}{created.token.pk}/revoke/").status_code == 405  # POST only
    response = client.post(f"{TOKENS}{created.token.pk}/revoke/", follow=True)
    assert "Revoked etl" in response.content.decode()
    assert ServiceToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.get(action="token_revoked").actor_label == "key_admin"
    page = client.get(f"{TOKENS}{created.token.pk}/change/")
    assert b"Revoke token" not in page.content and b"revoked" in page.content


def test_the_revoke_action_revokes_the_selected_tokens() -> None:
    keep = services.create_token("keep", ["k"]).token
    gone = [services.create_token(name, ["k"]).token for name in ("a", "b")]
    client = client_as("key_admin")
    client.post(
        TOKENS,
        {"action": "revoke_selected", "_selected_action": [t.pk for t in gone], "index": "0"},
    )
    revoked = set(
        ServiceToken.objects.filter(revoked_at__isnull=False).values_list("name", flat=True)
    )
    assert revoked == {"a", "b"}
    assert ServiceToken.objects.get(pk=keep.pk).revoked_at is None


def test_tokens_are_never_edited_or_deleted_in_the_admin() -> None:
    token = services.create_token("etl", ["k"]).token
    client = client_as("superuser")
    assert client.post(f"{TOKENS}{token.pk}/change/", {"name": "other"}).status_code == 403
    assert client.post(f"{TOKENS}{token.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ServiceToken.objects.get().name == "etl"


def test_a_write_scope_is_granted_on_the_form_and_shown_on_the_token_page() -> None:
    client = client_as("key_admin")
    submit(client, {"write_scope": "openai_api_key\r\n"})
    token = ServiceToken.objects.get(name="billing-worker")
    assert token.write_scope == ["openai_api_key"]
    page = client.get(f"{TOKENS}{token.pk}/change/").content.decode()
    assert "Write scope" in page and "openai_api_key" in page


def test_a_token_is_read_only_unless_a_write_scope_is_given() -> None:
    client = client_as("key_admin")
    submit(client)
    token = ServiceToken.objects.get(name="billing-worker")
    assert token.write_scope == []
    assert "none (read-only)" in client.get(f"{TOKENS}{token.pk}/change/").content.decode()
