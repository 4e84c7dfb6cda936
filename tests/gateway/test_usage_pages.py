"""Seeing and granting gateway use: the commands, GET /api/v1/usage, the admin pages."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from settings_app import roles
from settings_app.api import services
from settings_app.api.models import ServiceToken
from settings_app.models import AuditEvent, GatewayUsage
from tests.support.role_users import make_user

JSON_KEYS = {"day", "token", "setting_key", "model", "requests", "input_tokens",
             "output_tokens", "unmetered"}  # fmt: skip


def usage(token: ServiceToken, days_back: int, total: int, model: str = "gpt-x") -> None:
    GatewayUsage.objects.create(
        day=timezone.now().date() - timedelta(days=days_back),
        token=token,
        setting_key="openai_api_key",
        model=model,
        requests=2,
        input_tokens=total - 10,
        output_tokens=10,
        unmetered=1,
    )


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_create_service_token_with_only_a_gateway_scope_and_a_limit() -> None:
    out, err = run(
        "create_service_token", "worker", "--gateway", "openai_*", "--gateway",
        "anthropic_api_key", "--daily-token-limit", "50000",
    )  # fmt: skip

    token = ServiceToken.objects.get(name="worker")
    assert (token.scope, token.gateway_scope) == ([], ["openai_*", "anthropic_api_key"])
    assert token.daily_token_limit == 50000
    assert out.strip().startswith("kvt_") and "gateway" in err
    event = AuditEvent.objects.get(action="token_created")
    assert event.details["gateway_scope"] == ["openai_*", "anthropic_api_key"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--scope KEY"),
        (("--gateway", "open ai"), "--gateway"),
    ],
)
def test_create_service_token_refuses_no_scope_and_bad_patterns(
    args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run("create_service_token", "worker", *args)
    assert not ServiceToken.objects.exists()


@pytest.mark.django_db
def test_create_service_token_refuses_a_zero_limit() -> None:
    with pytest.raises(CommandError, match="above 0"):
        run("create_service_token", "w", "--gateway", "x", "--daily-token-limit", "0")


@pytest.mark.django_db
def test_usage_json_has_exactly_the_documented_keys() -> None:
    token = services.create_token("worker", [], gateway_scope=["*"]).token
    other = services.create_token("other", [], gateway_scope=["*"]).token
    usage(token, 0, 100)
    usage(token, 40, 999)  # outside --days
    usage(other, 1, 50)

    everything = json.loads(run("usage", "--json")[0])
    mine = json.loads(run("usage", "--json", "--token", "worker", "--days", "7")[0])
    table = run("usage")[0]

    assert {row["token"] for row in everything} == {"worker", "other"}
    assert len(everything) == 2
    assert [set(row) for row in mine] == [JSON_KEYS]
    assert mine[0]["input_tokens"] == 90 and mine[0]["unmetered"] == 1
    assert table.splitlines()[0].split() == list(JSON_KEYS_ORDER)


JSON_KEYS_ORDER = ("day", "token", "setting_key", "model", "requests", "input_tokens",
                   "output_tokens", "unmetered")  # fmt: skip


@pytest.mark.django_db
def test_usage_says_when_there_is_none() -> None:
    assert "No gateway usage" in run("usage")[0]


@pytest.mark.django_db
def test_the_usage_api_shows_a_token_only_its_own_usage(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = False
    created = services.create_token("worker", [], gateway_scope=["*"])
    other = services.create_token("other", [], gateway_scope=["*"]).token
    usage(created.token, 0, 100)
    usage(other, 0, 500)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {created.secret}")

    answer = client.get("/api/v1/usage")
    bad = client.get("/api/v1/usage?days=week")
    anonymous = Client().get("/api/v1/usage")

    assert answer.status_code == 200
    assert [row["token"] for row in answer.json()["usage"]] == ["worker"]
    assert set(answer.json()["usage"][0]) == JSON_KEYS
    assert bad.status_code == 400 and "days" in bad.json()["detail"]
    assert anonymous.status_code == 401


@pytest.mark.django_db
def test_the_schema_documents_the_usage_endpoint() -> None:
    schema = Client().get("/api/v1/schema/?format=json").json()

    assert "/api/v1/usage" in schema["paths"]
    assert "UsageRow" in schema["components"]["schemas"]


@pytest.mark.django_db
def test_key_admins_see_each_tokens_chart_today_and_baseline() -> None:
    token = services.create_token("worker", [], gateway_scope=["*"]).token
    for days_back in range(1, 11):
        usage(token, days_back, 20_000)
    usage(token, 0, 50_000, model="big-model")
    client = Client()
    client.force_login(make_user("kim", roles.KEY_ADMINS))

    page = client.get("/admin/settings_app/gatewayusage/")

    html = page.content.decode().split('id="content-main"')[1].split("<!-- END")[0]
    assert page.status_code == 200
    assert html.count("<svg") == 1 and html.count("<rect") == 30
    assert "worker" in html and "over 2.0x its baseline today" in html
    assert "20000 tokens (10 days)" in html and "big-model" in html
    assert "<script" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("group", [roles.VIEWERS, roles.EDITORS])
def test_other_roles_do_not_see_gateway_usage(group: str) -> None:
    client = Client()
    client.force_login(make_user("someone", group))

    assert client.get("/admin/settings_app/gatewayusage/").status_code == 403


@pytest.mark.django_db
def test_the_token_page_creates_a_gateway_only_token() -> None:
    admin: User = make_user("kim", roles.KEY_ADMINS)
    client = Client()
    client.force_login(admin)
    form = client.get("/admin/settings_app/servicetoken/add/")
    once = form.context["once"]

    page = client.post(
        "/admin/settings_app/servicetoken/add/",
        {"name": "worker", "scope": "", "gateway_scope": "openai_*\n", "expires_in_days": 30,
         "daily_token_limit": 1000, "once": once},
    )  # fmt: skip

    assert page.status_code == 200, page.content
    token = ServiceToken.objects.get(name="worker")
    assert (token.scope, token.gateway_scope, token.daily_token_limit) == ([], ["openai_*"], 1000)
    detail = client.get(f"/admin/settings_app/servicetoken/{token.pk}/change/").content.decode()
    assert "openai_*" in detail and "none (gateway only)" in detail


@pytest.mark.django_db
def test_the_token_page_wants_a_read_or_gateway_scope() -> None:
    client = Client()
    client.force_login(make_user("kim", roles.KEY_ADMINS))
    once = client.get("/admin/settings_app/servicetoken/add/").context["once"]

    page = client.post(
        "/admin/settings_app/servicetoken/add/",
        {"name": "worker", "scope": "", "gateway_scope": "", "expires_in_days": 30, "once": once},
    )

    assert "to read or to call through the gateway" in page.content.decode()
    assert not ServiceToken.objects.exists()
