"""/healthz (alive) and /readyz (able to serve): what a load balancer or orchestrator sees.

Each readiness check is broken the way it breaks in production: a database that refuses
connections, a migration not applied, keys that are not the ones that wrote the data (or none),
a cache that does not answer. The answer names the failing check and never carries a key, a
key id, a value or an exception's text.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from django.db import OperationalError, connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from settings_app.key_check.models import KeyCheck
from settings_app.key_check.service import check_keys, ensure_key_check
from settings_app.models import Setting
from tests.support.keys import TEST_KEYS, fake_key

VALUE = "sk-proj-" + "Rd7Yq2Lm8Tv4Xc6Rb0Nw3Hd7Ja1Ke5Pu9Gs" * 2
UNREACHABLE_REDIS = "redis://127.0.0.1:1/11"  # nothing listens on port 1


@pytest.fixture
def key_check_record(db: None) -> None:
    """The key-check record under the test keys, as migrate leaves it."""
    KeyCheck.objects.all().delete()
    assert ensure_key_check()


def test_healthz_is_alive_without_touching_database_or_cache(client: Client, settings: Any) -> None:
    """No django_db mark: a query would raise. And the cache it would use does not answer."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": UNREACHABLE_REDIS
    }}  # fmt: skip
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_ok_when_every_check_passes(client: Client, key_check_record: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "keys": "ok", "cache": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_an_unreachable_cache_makes_it_unready(
    client: Client, settings: Any, key_check_record: None
) -> None:
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": UNREACHABLE_REDIS
    }}  # fmt: skip
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failing"] == ["cache"]
    assert body["checks"]["cache"] == "unavailable"
    assert "6379" not in response.content.decode() and ":1/" not in response.content.decode()


@pytest.mark.django_db
def test_an_unapplied_migration_makes_it_unready(client: Client, key_check_record: None) -> None:
    recorder = MigrationRecorder(connections["default"])
    latest = max(name for app, name in recorder.applied_migrations() if app == "settings_app")
    recorder.record_unapplied("settings_app", latest)  # as if the new code ran before migrate
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == "unapplied migrations"


@pytest.mark.django_db
def test_keys_that_did_not_write_the_data_make_it_unready(
    client: Client, settings: Any, key_check_record: None
) -> None:
    Setting.objects.create(key="openai_api_key", value=VALUE, provider="openai")
    key_ids = check_keys().key_ids
    settings.KEYVAULT_KEY_DERIVATION_SALT = fake_key("another-salt")
    response = client.get("/readyz")
    text = response.content.decode()
    assert response.status_code == 503
    assert response.json()["failing"] == ["keys"]
    assert response.json()["checks"]["keys"] == "keys do not match the data"
    for secret in (VALUE, *TEST_KEYS.values(), settings.KEYVAULT_KEY_DERIVATION_SALT, *key_ids):
        assert secret not in text


@pytest.mark.django_db
def test_missing_keys_make_it_unready(client: Client, settings: Any) -> None:
    settings.KEYVAULT_PRIMARY_KEY = ""
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["keys"] == "keys not usable"


@pytest.mark.django_db
def test_a_database_that_refuses_connections_makes_it_unready(
    client: Client, monkeypatch: pytest.MonkeyPatch, key_check_record: None
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection to server at 10.9.8.7 failed: password=hunter2")

    monkeypatch.setattr(connections["default"], "cursor", refuse)
    response = client.get("/readyz")
    text = response.content.decode()
    assert response.status_code == 503
    assert set(response.json()["failing"]) >= {"database", "migrations"}
    assert response.json()["checks"]["database"] == "unavailable"
    assert "hunter2" not in text and "10.9.8.7" not in text


@pytest.mark.django_db
def test_probes_are_not_audited_and_not_in_the_access_log(
    client: Client, key_check_record: None
) -> None:
    from settings_app.models import AuditEvent

    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(console, logging.StreamHandler)
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        for path in ("/healthz", "/readyz", "/readyz?verbose=1", "/admin/login/"):
            client.get(path)
    finally:
        console.setStream(previous)
    assert "/admin/login/" in stream.getvalue()  # the access log works...
    assert "/healthz" not in stream.getvalue() and "/readyz" not in stream.getvalue()  # ...quietly
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_unready_poll_logs_the_failing_check_as_a_warning_and_mails_nobody(
    client: Client, settings: Any, key_check_record: None
) -> None:
    from django.core import mail

    settings.ADMINS = [("Ops", "ops@example.com")]
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": UNREACHABLE_REDIS
    }}  # fmt: skip
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    assert isinstance(console, logging.StreamHandler)
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        assert client.get("/readyz").status_code == 503
    finally:
        console.setStream(previous)
    assert "WARNING settings_app.health.checks [" in stream.getvalue()
    assert "Readiness check cache failed" in stream.getvalue()
    assert "Service Unavailable: /readyz" not in stream.getvalue()
    assert mail.outbox == []


def test_probes_answer_only_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
