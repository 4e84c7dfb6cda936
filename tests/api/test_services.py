"""Creating and revoking tokens: validation, hashed storage, audit, last-used bookkeeping."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from settings_app.api import services, tokens
from settings_app.api.models import ServiceToken
from settings_app.models import AuditEvent
from tests.api.conftest import SETTINGS_URL, bearer

pytestmark = pytest.mark.django_db


def test_a_new_token_is_stored_only_as_its_hash(make_token) -> None:
    created = make_token(["openai_*"], name="billing-worker")
    token = ServiceToken.objects.get(name="billing-worker")
    assert token.token_hash == tokens.token_hash(created.secret)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM settings_app_servicetoken")
        rows = str(cursor.fetchall())
        cursor.execute("SELECT * FROM settings_app_auditevent")
        rows += str(cursor.fetchall())
    assert created.secret not in rows
    assert created.secret[4:47] not in rows  # not even the random part
    assert created.secret not in repr(created) and created.secret not in repr(token)


def test_creation_is_audited_without_the_token(make_token) -> None:
    created = make_token(["openai_*"], name="etl", allowed_networks=["10.0.0.0/8"])
    event = AuditEvent.objects.get(action="token_created")
    assert event.details["token_name"] == "etl"
    assert event.details["scope"] == ["openai_*"]
    assert event.details["allowed_networks"] == ["10.0.0.0/8"]
    assert created.secret not in str(event.details)


def test_the_default_lifetime_is_90_days(make_token) -> None:
    before = timezone.now()
    token = make_token().token
    assert timedelta(days=90) <= token.expires_at - before < timedelta(days=90, seconds=5)


def test_a_lifetime_above_the_maximum_is_refused(make_token, settings) -> None:
    settings.KEYVAULT_TOKEN_MAX_DAYS = 30
    make_token(lifetime=timedelta(days=30))
    with pytest.raises(ValidationError) as refused:
        make_token(lifetime=timedelta(days=31))
    assert "at most 30 days (KEYVAULT_TOKEN_MAX_DAYS)" in str(refused.value.message_dict)
    assert ServiceToken.objects.count() == 1
    assert AuditEvent.objects.filter(action="token_created").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"scope": []}, "scope", "at least one setting key or pattern"),
        ({"scope": ["openai key"]}, "scope", "contains ' '"),
        ({"scope": ["openai_[ab]"]}, "scope", "contains '['"),
        ({"name": "billing worker"}, "name", "contains ' '"),
        ({"name": ""}, "name", "cannot be blank"),
        ({"allowed_networks": ["10.0.0.1/8"]}, "allowed_networks", "host bits set"),
        ({"allowed_networks": ["intranet"]}, "allowed_networks", "is not a network"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(
    make_token, kwargs, field, message
) -> None:
    scope = kwargs.pop("scope", ["openai_api_key"])
    with pytest.raises(ValidationError) as refused:
        services.create_token(kwargs.pop("name", "ok"), scope, **kwargs)
    assert message in " ".join(refused.value.message_dict[field])
    assert not ServiceToken.objects.exists() and not AuditEvent.objects.exists()


def test_names_are_unique(make_token) -> None:
    make_token(name="etl")
    with pytest.raises(ValidationError, match="already exists"):
        make_token(name="etl")


def test_networks_are_stored_in_canonical_form(make_token) -> None:
    token = make_token(allowed_networks=["2001:DB8::/32", "192.0.2.7", "192.0.2.7/32"]).token
    assert token.allowed_networks == ["2001:db8::/32", "192.0.2.7/32"]


def test_revoking_is_audited_and_cannot_be_repeated(make_token) -> None:
    make_token(name="etl")
    token = services.revoke_token("etl")
    assert token.revoked_at is not None
    assert AuditEvent.objects.get(action="token_revoked").details == {"token_name": "etl"}
    with pytest.raises(services.AlreadyRevoked, match="already revoked"):
        services.revoke_token("etl")
    with pytest.raises(services.UnknownToken, match="no service token named 'nope'"):
        services.revoke_token("nope")
    assert AuditEvent.objects.filter(action="token_revoked").count() == 1


def test_last_used_is_written_at_most_once_a_minute(stored, make_token) -> None:
    created = make_token()
    start = timezone.now()
    for seconds, address in ((0, "192.0.2.1"), (30, "192.0.2.2"), (61, "192.0.2.3")):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            client = bearer(created.secret, REMOTE_ADDR=address)
            assert client.get(SETTINGS_URL + "openai_api_key").status_code == 200
        token = ServiceToken.objects.get(pk=created.token.pk)
        if seconds == 0:
            assert (token.last_used_at, token.last_used_ip) == (start, "192.0.2.1")
        if seconds == 30:
            assert (token.last_used_at, token.last_used_ip) == (start, "192.0.2.1")
    assert token.last_used_at == start + timedelta(seconds=61)
    assert token.last_used_ip == "192.0.2.3"


def test_tokens_cannot_be_saved_without_the_service() -> None:
    with pytest.raises(ValueError, match="create_token"):
        ServiceToken.objects.create(name="x", scope=["k"], expires_at=timezone.now())
