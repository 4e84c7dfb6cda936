"""The token and the value leave only where they must: nowhere in logs, the audit trail, the
database (the token), error bodies or command output other than the token's one line."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from settings_app.api import services
from settings_app.logs.filters import RedactSecretsFilter
from settings_app.logs.redaction import redact
from settings_app.models import AuditEvent
from tests.api.conftest import OPENAI_VALUE, SETTINGS_URL, bearer
from tests.hygiene.conftest import all_logs  # noqa: F401

pytestmark = pytest.mark.django_db


def database_dump() -> str:
    """Every row of every table, as text."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows.append(str(cursor.fetchall()))
    return "\n".join(rows)


def test_a_whole_token_lifecycle_leaks_nothing(stored, settings, all_logs) -> None:  # noqa: F811
    settings.KEYVAULT_API_RATE = "2/m"
    out = io.StringIO()
    call_command(
        "create_service_token", "etl", "--scope", "openai_*", stdout=out, stderr=io.StringIO()
    )
    secret = out.getvalue().strip()
    limited = services.create_token("net", ["*"], allowed_networks=["10.0.0.0/8"]).secret
    bodies = []
    with time_machine.travel(timezone.now().replace(second=0) + timedelta(minutes=1), tick=False):
        client = bearer(secret)
        for url in ("openai_api_key", "openai_api_key", "openai_api_key", "anthropic_api_key"):
            bodies.append(client.get(SETTINGS_URL + url))  # 200, 200, 429, 429
        bodies.append(bearer(limited).get(SETTINGS_URL + "openai_api_key"))  # 403
        typo = secret[:-1] + ("x" if secret[-1] != "x" else "y")
        bodies.append(bearer(typo).get(SETTINGS_URL + "openai_api_key"))  # 401
    call_command("revoke_service_token", "etl", stdout=io.StringIO())
    bodies.append(bearer(secret).get(SETTINGS_URL + "openai_api_key"))  # 401
    assert [r.status_code for r in bodies] == [200, 200, 429, 429, 403, 401, 401]

    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in all_logs.records)
    assert "Unauthorized: /api/v1/settings/openai_api_key" in logs  # the capture works
    trail = str(list(AuditEvent.objects.values()))
    dump = database_dump()
    for secret_text in (secret, limited):
        assert secret_text not in logs and secret_text not in trail and secret_text not in dump
        assert all(secret_text.encode() not in r.content for r in bodies)
    assert OPENAI_VALUE not in logs and OPENAI_VALUE not in trail
    assert [OPENAI_VALUE in r.content.decode() for r in bodies] == [True, True] + [False] * 5


def test_a_token_that_reaches_a_log_is_redacted() -> None:
    secret = services.create_token("etl", ["k"]).secret
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling with %s", (secret,), None)
    RedactSecretsFilter().filter(record)
    assert secret not in record.getMessage() and "kvt_[REDACTED]" in record.getMessage()
    assert redact(f"Authorization: Bearer {secret}") == "Authorization: Bearer kvt_[REDACTED]"


def test_an_error_report_from_the_api_holds_neither_token_nor_value(stored, monkeypatch):
    import rest_framework.renderers
    from django.test import RequestFactory
    from django.views.debug import ExceptionReporter

    secret = services.create_token("etl", ["openai_api_key"]).secret
    # JSONRenderer.render fails while its frame holds the response data (a C function raises,
    # so no frame of this test holds the data).
    monkeypatch.setattr(rest_framework.renderers, "json", SimpleNamespace(dumps=int))
    client = bearer(secret)
    with pytest.raises(TypeError) as raised:
        client.get(SETTINGS_URL + "openai_api_key")
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    error = raised.value
    traceback = error.__traceback__
    # From the request handler on, as in production: the test and its client are not there.
    while traceback and not traceback.tb_frame.f_globals["__name__"].startswith("django.core"):
        traceback = traceback.tb_next
    report = ExceptionReporter(request, type(error), error, traceback)
    html = report.get_traceback_html()
    assert "rest_framework/renderers.py" in html and "Local vars" in html
    assert secret not in html and OPENAI_VALUE not in html
