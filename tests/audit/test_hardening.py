"""Hardening found in review: audit writes under concurrency, reveal guessing, error reports."""

from __future__ import annotations

import sys

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from settings_app.crypto import DecryptionError
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.audit.conftest import PASSWORD, SECRET
from tests.conftest import run_manage
from tests.keys import sqlite_env
from tests.reveal_helpers import once_token

CONCURRENT_WRITERS = """
import threading
from django.db import connection
from settings_app import audit
from settings_app.models import AuditEvent
failures = []
def write(n):
    try:
        for i in range(20):
            audit.record("verified", setting_key=f"k{n}-{i}")
    except Exception as error:
        failures.append(type(error).__name__)
    finally:
        connection.close()
threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
print(AuditEvent.objects.count(), len(failures), audit.verify_chain().ok)
"""


@pytest.mark.slow
def test_concurrent_audit_writers_all_land_on_sqlite(tmp_path) -> None:
    env = sqlite_env(tmp_path / "audit.sqlite3")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    result = run_manage("shell", "-c", CONCURRENT_WRITERS, env=env)
    assert result.stdout.split()[-3:] == ["120", "0", "True"], result.stderr


@pytest.mark.django_db
def test_guessing_the_password_on_the_reveal_page_locks_the_account(
    settings, key_admin: User, setting: Setting
) -> None:
    settings.AXES_ENABLED = True
    client = Client()
    client.force_login(key_admin)
    url = f"/admin/settings_app/setting/{setting.pk}/reveal/"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        data = {"password": "guess", "reason": "guessing the password", "once": ""}
        data["once"] = once_token(client, url)
        client.post(url, data)
    data = {
        "password": PASSWORD,
        "reason": "now with the right one",
        "once": once_token(client, url),
    }
    response = client.post(url, data)
    assert SECRET not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.REVEALED).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_LOCKED_OUT).exists()


@pytest.mark.django_db
def test_error_reports_hide_values_held_by_django_query_frames() -> None:
    Setting.objects.create(key="a_key", value=SECRET)
    broken = Setting.objects.create(key="b_key", value="sk-proj-placeholder-000")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE settings_app_setting SET value = %s WHERE id = %s",
            ["$kv1$r$00000000$AAAA", broken.pk],
        )
    request = RequestFactory().get("/admin/")
    try:
        list(Setting.objects.order_by("key"))
    except DecryptionError:
        html = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    else:
        pytest.fail("the damaged row must raise")
    assert SECRET not in html
    assert SECRET[8:-4] not in html
