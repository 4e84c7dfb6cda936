"""`/metrics`: off without KEYVAULT_METRICS_TOKEN, only for its bearer, never cached, and no
metric carries a value, a token, a key name, a token name, a user or an address."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.api.conftest import OPENAI_VALUE, bearer

METRICS_TOKEN = "scrape-" + "Vb3Nq8Lw2Tz6Xr1Hm5Kd9Pf"


@pytest.fixture
def metrics_on(settings: Any) -> str:
    settings.KEYVAULT_METRICS_TOKEN = METRICS_TOKEN
    return METRICS_TOKEN


def scrape(token: str = METRICS_TOKEN, scheme: str = "Bearer") -> Any:
    return Client(HTTP_AUTHORIZATION=f"{scheme} {token}").get("/metrics")


def test_metrics_are_off_without_a_token(client: Client) -> None:
    assert client.get("/metrics").status_code == 404
    assert scrape().status_code == 404


@pytest.mark.parametrize(
    ("scheme", "token"),
    [("Bearer", ""), ("Bearer", "wrong"), ("Bearer", METRICS_TOKEN[:-1]),
     ("Basic", METRICS_TOKEN), ("Bearer", METRICS_TOKEN + "x")],
)  # fmt: skip
def test_a_missing_or_wrong_token_is_refused(metrics_on: str, scheme: str, token: str) -> None:
    response = scrape(token, scheme)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"keyvault_" not in response.content


def test_no_header_is_refused(metrics_on: str, client: Client) -> None:
    assert client.get("/metrics").status_code == 401


def test_the_bearer_gets_prometheus_text_never_cached(metrics_on: str) -> None:
    response = scrape()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    for name in ("keyvault_api_reads_total", "keyvault_reveals_total",
                 "keyvault_rows_reencrypted_total", "keyvault_audit_write_failures_total",
                 "keyvault_api_read_seconds_bucket"):  # fmt: skip
        assert name in text


@pytest.mark.django_db
def test_no_metric_identifies_a_key_token_user_or_address(
    metrics_on: str, stored: Any, make_token: Any
) -> None:
    admin_user = User.objects.create_superuser("canary-operator", password="pw-canary-9")
    created = make_token(name="canary-billing-worker")
    reader = bearer(created.secret, REMOTE_ADDR="198.51.100.77")
    assert reader.get("/api/v1/settings/openai_api_key").status_code == 200
    assert reader.get("/api/v1/settings/canary_missing_key").status_code == 404
    admin = Client(REMOTE_ADDR="203.0.113.9")
    admin.force_login(admin_user)
    admin.get(f"/admin/settings_app/setting/{stored['openai_api_key'].pk}/change/")
    text = scrape().content.decode()
    for identifying in (OPENAI_VALUE, created.secret, "openai_api_key", "canary_missing_key",
                        "canary-billing-worker", admin_user.get_username(), "198.51.100.77",
                        "203.0.113.9", str(stored["openai_api_key"].pk) + "/change",
                        METRICS_TOKEN):  # fmt: skip
        assert identifying not in text
