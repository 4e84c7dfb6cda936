"""create_service_token prints only the token; revoke_service_token; both audited."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from settings_app.api import tokens
from settings_app.api.models import ServiceToken
from settings_app.models import AuditEvent
from tests.api.conftest import OPENAI_VALUE, SETTINGS_URL, bearer
from tests.conftest import run_manage
from tests.support.keys import KEY_ENV

pytestmark = pytest.mark.django_db


def create(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_service_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_only_the_token_and_one_line_of_guidance(stored) -> None:
    out, err = create(
        "billing-worker", "--scope", "openai_*", "--scope", "mistral_api_key", "--expires-in", "30d"
    )
    token = out.strip()
    assert out == token + "\n" and tokens.is_well_formed(token)
    assert err.count("\n") == 1 and token not in err
    assert "openai_*, mistral_api_key" in err and "never shown again" in err
    stored_token = ServiceToken.objects.get(name="billing-worker")
    lifetime = stored_token.expires_at - timezone.now()
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)
    response = bearer(token).get(SETTINGS_URL + "openai_api_key")
    assert response.json()["value"] == OPENAI_VALUE


def test_create_is_audited_as_the_command(stored) -> None:
    out, _ = create("etl", "--scope", "openai_api_key", "--allow-network", "10.0.0.0/8")
    event = AuditEvent.objects.get(action="token_created")
    assert event.actor_label == "manage.py create_service_token" and event.source == "command"
    assert out.strip() not in str(event.details)
    assert ServiceToken.objects.get(name="etl").allowed_networks == ["10.0.0.0/8"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expires-in", "400d"], "--expires-in: A token can live at most 365 days"),
        (["--expires-in", "53w"], "at most 365 days (KEYVAULT_TOKEN_MAX_DAYS)"),
        (["--expires-in", "30"], "'30' is not a duration: use a positive number of days"),
        (["--expires-in", "0d"], "is not a duration"),
        (["--expires-in", "1y"], "such as 30d, 12h or 4w"),
        (["--allow-network", "10.0.0.0/33"], "--allow-network: '10.0.0.0/33' is not a network"),
        (["--scope", "bad key!"], "--scope: Scope entry 'bad key!' contains"),
    ],
)
def test_bad_options_are_refused_with_a_clear_error(db, args, message) -> None:
    with pytest.raises(CommandError) as refused:
        create("etl", "--scope", "openai_api_key", *args)
    assert message in str(refused.value)
    assert not ServiceToken.objects.exists()


def test_the_maximum_follows_the_setting(db, settings) -> None:
    settings.KEYVAULT_TOKEN_MAX_DAYS = 7
    with pytest.raises(CommandError, match="at most 7 days"):
        create("etl", "--scope", "k", "--expires-in", "8d")
    out, _ = create("etl", "--scope", "k", "--expires-in", "1w")
    assert tokens.is_well_formed(out.strip())


def test_a_taken_name_is_refused(db) -> None:
    create("etl", "--scope", "k")
    with pytest.raises(CommandError, match="NAME: Service token with this Name already exists"):
        create("etl", "--scope", "k")


def test_revoke_refuses_the_token_from_then_on(stored) -> None:
    token, _ = create("etl", "--scope", "openai_api_key")
    out = io.StringIO()
    call_command("revoke_service_token", "etl", stdout=out)
    assert out.getvalue() == "Revoked service token 'etl'.\n"
    assert bearer(token.strip()).get(SETTINGS_URL + "openai_api_key").status_code == 401
    event = AuditEvent.objects.get(action="token_revoked")
    assert event.actor_label == "manage.py revoke_service_token"
    with pytest.raises(CommandError, match="already revoked"):
        call_command("revoke_service_token", "etl")
    with pytest.raises(CommandError, match="no service token named 'other'"):
        call_command("revoke_service_token", "other")


@pytest.mark.slow
def test_the_token_can_be_captured_from_a_shell(tmp_path) -> None:
    env = {**KEY_ENV, "SECRET_KEY": "x" * 50, "DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"}
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    created = run_manage("create_service_token", "etl", "--scope", "k", env=env)
    assert created.returncode == 0, created.stderr
    assert tokens.is_well_formed(created.stdout.strip())  # TOKEN=$(manage.py ...) works
    assert created.stdout.strip() not in created.stderr
    refused = run_manage(
        "create_service_token", "x", "--scope", "k", "--expires-in", "9999d", env=env
    )
    assert refused.returncode == 1 and refused.stdout == ""
    assert "KEYVAULT_TOKEN_MAX_DAYS" in refused.stderr


def test_create_with_a_write_scope_says_so(stored) -> None:
    _, err = create("rotator", "--scope", "openai_*", "--write-scope", "openai_api_key")
    assert ServiceToken.objects.get(name="rotator").write_scope == ["openai_api_key"]
    assert "and writes openai_api_key" in err


def test_a_bad_write_scope_is_named_by_its_option(stored) -> None:
    with pytest.raises(CommandError, match=r"--write-scope: .*'a b'"):
        create("rotator", "--scope", "openai_*", "--write-scope", "a b")
