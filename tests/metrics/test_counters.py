"""Each counter and histogram moves when the thing it counts happens, and only then."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import DatabaseError
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from settings_app import audit, reencryption
from settings_app.crypto import DecryptionReason
from settings_app.models import AuditAction, Setting
from tests.api.conftest import bearer
from tests.support.raw_rows import rotate_primary
from tests.support.reveal_helpers import post_reveal
from tests.support.role_users import PASSWORD
from tests.support.unreadable_rows import raw_value, write_raw_value
from tests.testapp.models import Secret

pytestmark = pytest.mark.django_db
OPENAI_URL = "/api/v1/settings/openai_api_key"


def test_api_reads_are_counted_by_status(stored: Any, make_token: Any, settings: Any,
                                         delta: Any) -> None:  # fmt: skip
    settings.KEYVAULT_API_RATE = "4/m"
    counted = {status: delta("keyvault_api_reads_total", outcome=status)
               for status in ("200", "304", "401", "403", "404", "429")}  # fmt: skip
    timed = delta("keyvault_api_read_seconds_count")
    reader = bearer(make_token().secret)
    start = timezone.now().replace(second=10, microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        etag = reader.get(OPENAI_URL)["ETag"]
        assert reader.get(OPENAI_URL, HTTP_IF_NONE_MATCH=etag).status_code == 304
        assert reader.get("/api/v1/settings/nope").status_code == 404
        assert reader.get(OPENAI_URL).status_code == 200
        assert reader.get(OPENAI_URL).status_code == 429
        assert bearer("kvt_" + "x" * 40).get(OPENAI_URL).status_code == 401
        fenced = bearer(make_token(allowed_networks=["10.20.0.0/16"]).secret)
        assert fenced.get(OPENAI_URL).status_code == 403
    assert {status: grew() for status, grew in counted.items()} == {
        "200": 2, "304": 1, "401": 1, "403": 1, "404": 1, "429": 1
    }  # fmt: skip
    assert timed() == 7


def test_admin_latency_is_observed_by_view_name(admin_user: User, stored: Any, delta: Any) -> None:
    changelist = delta("keyvault_admin_request_seconds_count",
                       view="admin:settings_app_setting_changelist")  # fmt: skip
    change = delta("keyvault_admin_request_seconds_count",
                   view="admin:settings_app_setting_change")  # fmt: skip
    client = Client()
    client.force_login(admin_user)
    client.get("/admin/settings_app/setting/")
    for setting in stored.values():
        client.get(f"/admin/settings_app/setting/{setting.pk}/change/")
    assert (changelist(), change()) == (1, 3)  # one label for every object's page


def test_values_that_do_not_decrypt_are_counted_by_reason(stored: Any, delta: Any) -> None:
    counted = {reason: delta("keyvault_decryption_failures_total", reason=reason.value)
               for reason in DecryptionReason}  # fmt: skip
    setting = stored["openai_api_key"]
    envelope = raw_value(setting)
    write_raw_value(setting, envelope[:-6] + ("A" if envelope[-6] != "A" else "B") + envelope[-5:])
    Setting.objects.get(pk=setting.pk)
    Setting.objects.get(pk=stored["mistral_api_key"].pk)  # a readable one counts nothing
    assert {r: grew() for r, grew in counted.items() if grew()} == {
        DecryptionReason.FAILED_AUTHENTICATION: 1
    }


def test_an_audit_write_that_fails_is_counted(monkeypatch: pytest.MonkeyPatch, delta: Any) -> None:
    failed = delta("keyvault_audit_write_failures_total")

    def refuse(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(QuerySet, "bulk_create", refuse)
    with pytest.raises(DatabaseError):
        audit.record(AuditAction.STATUS_CHECKED)
    assert failed() == 1


def test_reveals_are_counted(key_admin: User, setting: Setting, delta: Any, settings: Any) -> None:
    settings.KEYVAULT_REQUIRE_2FA = "none"  # the password path (tests/reveal does the same)
    revealed = delta("keyvault_reveals_total")
    client = Client()
    client.force_login(key_admin)
    url = f"/admin/settings_app/setting/{setting.pk}/reveal/"
    refused = post_reveal(
        client, url, {"password": "wrong", "reason": "Rotating the billing worker key"}
    )
    assert refused.status_code == 200 and revealed() == 0
    shown = post_reveal(
        client, url, {"password": PASSWORD, "reason": "Rotating the billing worker key"}
    )
    assert shown.status_code == 200 and revealed() == 1


def test_rows_reencrypted_are_counted(settings: Any, delta: Any) -> None:
    rewritten = delta("keyvault_rows_reencrypted_total")
    Secret.objects.bulk_create(Secret(value=f"value-{n}") for n in range(5))
    rotate_primary(settings)
    report = reencryption.reencrypt(reencryption.encrypted_models(["testapp.Secret"]))
    assert report.updated == 5 and rewritten() == 5
    reencryption.reencrypt(reencryption.encrypted_models(["testapp.Secret"]))
    assert rewritten() == 5  # nothing left to rewrite
