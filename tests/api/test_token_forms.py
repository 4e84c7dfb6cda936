"""The token-creation form (issue 22, item 15): a scope matching no key is accepted with a
warning, a revoked token's name gets an error that says so, and the new token's page gives a
ready-to-copy `keyvault run` line."""

from __future__ import annotations

import pytest

from settings_app.api import services
from settings_app.models import Setting
from tests.support.token_forms import ADD, FORM, client_as, shown_token, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_key(db: None) -> None:
    Setting.objects.set_value("openai_api_key", "sk-proj-" + "Zq4Lm8Tv2Xc6Rb0Nw3Hd7Ja1Ke5Pu9Gs")


def test_a_scope_that_matches_no_key_is_accepted_with_a_warning(stored_key) -> None:
    response = submit(client_as("key_admin"), {"scope": "opneai_api_key\r\nanthropic_*"})
    assert response.status_code == 200 and shown_token(response)
    page = response.content.decode()
    assert "matches no setting" in page and "opneai_api_key" in page and "anthropic_*" in page


def test_a_scope_that_matches_keys_gets_no_warning(stored_key) -> None:
    response = submit(client_as("key_admin"), {"scope": "openai_*"})
    assert "matches no setting" not in response.content.decode()


def test_a_revoked_tokens_name_is_named_as_such(stored_key) -> None:
    services.create_token("billing-worker", ["openai_api_key"])
    services.revoke_token("billing-worker")
    response = submit(client_as("key_admin"))
    page = response.content.decode()
    assert "belongs to a revoked token" in page and "billing-worker" in page


def test_the_new_token_page_has_a_ready_to_copy_run_line(stored_key) -> None:
    response = submit(client_as("key_admin"))
    token = shown_token(response)
    line = f"KEYVAULT_URL=http://testserver KEYVAULT_TOKEN={token} keyvault run -- "
    assert line in response.content.decode()


def test_two_posts_of_one_form_make_one_token_even_from_the_same_session_state(stored_key) -> None:
    """Two tabs or two concurrent requests carry the session as it was when the form was
    shown: the form's one-time field is spent in the database, once, not popped from it."""
    from settings_app.api.models import ServiceToken

    client = client_as("key_admin")
    once = client.get(ADD).context["once"]
    cookie = client.cookies["sessionid"].value
    session = client.session
    saved = dict(session.items())
    first = client.post(ADD, {**FORM, "once": once})
    assert shown_token(first)
    session = client.session  # the same session, put back as the second request read it
    session.update(saved)
    session.save()
    assert client.cookies["sessionid"].value == cookie
    second = client.post(ADD, {**FORM, "name": "another-name", "once": once})
    assert "a token is shown only once" in second.content.decode()
    assert ServiceToken.objects.count() == 1
