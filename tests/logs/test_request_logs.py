"""Log lines a pipeline can use: UTC timestamp, level, logger, message, request id, client
address and, for API requests, the service token's name; JSON with KEYVAULT_LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from settings_app import audit
from settings_app.logs.config import FORMATTERS, logging_config
from settings_app.logs.formatters import RedactingJsonFormatter
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.api.conftest import bearer
from tests.conftest import run_manage
from tests.support.reveal_helpers import post_reveal
from tests.support.role_users import PASSWORD

TRACE = "0f6c2b8e-52b4-4d0c-9a51-3f7e2c1d9b40"


@pytest.mark.parametrize("given", [TRACE, "abc.DEF_1-2", "x", "y" * 128])
def test_a_well_formed_request_id_is_kept_and_echoed(client: Client, given: str) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given", ["", "y" * 129, "two words", "line\r\nbreak", "<script>", "naïve", "a/b", "a;b"]
)
def test_anything_else_is_replaced_by_a_new_uuid(client: Client, given: str) -> None:
    echoed = client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"]
    assert echoed != given and uuid.UUID(echoed)


def test_each_request_without_one_gets_its_own(client: Client) -> None:
    first, second = (client.get("/healthz")["X-Request-ID"] for _ in range(2))
    assert first != second and uuid.UUID(first) and uuid.UUID(second)


@pytest.mark.django_db
def test_every_line_of_a_request_is_json_with_its_id_django_request_included(
    console: Any, settings: Any
) -> None:
    settings.KEYVAULT_TRUSTED_PROXY_COUNT = 1
    captured = console("json")
    client = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.23")
    assert client.get("/nowhere?key=openai", HTTP_X_REQUEST_ID=TRACE).status_code == 404
    records = captured.records()
    assert {r["logger"] for r in records} == {"django.request", "keyvault.access"}
    for record in records:
        assert record["request_id"] == TRACE
        assert record["client_address"] == "198.51.100.23"  # the client, not the proxy
        assert datetime.fromisoformat(record["timestamp"]).utcoffset() == timedelta(0)
    warning = next(r for r in records if r["logger"] == "django.request")
    assert (warning["level"], warning["message"]) == ("WARNING", "Not Found: /nowhere")
    assert "openai" not in captured.text  # no query string (Django's request object is left out)
    access = next(r for r in records if r["logger"] == "keyvault.access")
    assert (access["method"], access["path"], access["status"]) == ("GET", "/nowhere", 404)


@pytest.mark.django_db
def test_api_lines_name_the_token_never_carry_it(
    console: Any, stored: Any, make_token: Any
) -> None:
    created = make_token(name="billing-worker")
    captured = console("json")
    answer = bearer(created.secret).get("/api/v1/settings/openai_api_key?keys=a")
    assert answer.status_code == 200
    [line] = captured.records()
    assert line["token_name"] == "billing-worker"
    assert line["message"].startswith("GET /api/v1/settings/openai_api_key 200 ")
    assert created.secret not in captured.text and "keys=a" not in captured.text


@pytest.mark.django_db
def test_the_text_format_has_a_utc_timestamp_level_logger_and_request_id(console: Any) -> None:
    captured = console("text")
    Client().get("/admin/login/", HTTP_X_REQUEST_ID=TRACE)
    [line] = captured.lines()
    pattern = (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 INFO keyvault\.access "
               rf"\[{TRACE}\] GET /admin/login/ 200 [\d.]+ms")  # fmt: skip
    assert re.fullmatch(pattern, line)


def test_lines_outside_a_request_have_no_request_id(console: Any) -> None:
    captured = console("json")
    logging.getLogger("settings_app.anything").warning("plain code speaks")
    [record] = captured.records()
    assert record["request_id"] == "" and record["message"] == "plain code speaks"
    captured = console("text")
    logging.getLogger("settings_app.anything").warning("plain code speaks")
    assert " WARNING settings_app.anything [-] plain code speaks" in captured.text


def test_development_server_lines_are_json_and_probes_stay_out(console: Any) -> None:
    captured = console("json")
    server = logging.getLogger("django.server")
    server.info('"%s" %s %s', "GET /admin/ HTTP/1.1", 200, 512)
    server.info('"%s" %s %s', "GET /healthz HTTP/1.1", 200, 15)
    server.info('"%s" %s %s', "GET /readyz?full=1 HTTP/1.1", 503, 90)
    [record] = captured.records()
    assert record["logger"] == "django.server" and "GET /admin/" in record["message"]


@pytest.mark.django_db
def test_audit_events_of_a_request_carry_its_id(key_admin: Any, setting: Setting) -> None:
    client = Client(HTTP_X_REQUEST_ID=TRACE)
    client.force_login(key_admin)
    url = f"/admin/settings_app/setting/{setting.pk}/reveal/"
    post_reveal(client, url, {"password": PASSWORD, "reason": "Rotating the billing key"})
    revealed = AuditEvent.objects.get(action=AuditAction.REVEALED)
    assert revealed.details["request_id"] == TRACE
    assert audit.verify_chain().ok  # the id is part of what the chain protects
    plain = audit.record(AuditAction.STATUS_CHECKED)
    assert "request_id" not in plain.details  # code outside a request has none


def test_an_unknown_log_format_is_refused_with_the_choices() -> None:
    result = run_manage("check", env={"SECRET_KEY": "x" * 50, "KEYVAULT_LOG_FORMAT": "yaml"})
    assert result.returncode != 0
    assert "KEYVAULT_LOG_FORMAT is 'yaml'; set it to 'text' (the default) or 'json'" in (
        result.stderr
    )


def test_commands_print_no_axes_banner() -> None:
    result = run_manage("check", env={"SECRET_KEY": "x" * 50})
    assert "AXES" not in result.stderr and "AXES" not in result.stdout


def test_the_log_format_is_checked_where_logging_is_configured() -> None:
    with pytest.raises(ImproperlyConfigured, match=r"set it to 'text' .* or 'json'"):
        logging_config("yaml", "INFO")
    assert logging_config("json", "INFO")["formatters"]["line"] == FORMATTERS["json"]


def test_records_from_outside_django_get_empty_request_fields() -> None:
    """gunicorn's own lines go through the JSON formatter with no request filter."""
    record = logging.LogRecord("gunicorn.error", logging.INFO, __file__, 1, "Booting", (), None)
    line = json.loads(RedactingJsonFormatter().format(record))
    assert (line["request_id"], line["client_address"], line["token_name"]) == ("", "", "")
    assert (line["logger"], line["level"], line["message"]) == ("gunicorn.error", "INFO", "Booting")
