"""`verify_settings --stale`: only keys not verified lately, at most 4 at once, with timeouts."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from settings_app.models import AuditAction, AuditEvent, Setting
from settings_app.notifications.reverify import MAX_CONCURRENT, parse_age, reverify_stale
from tests.notifications.conftest import START, assert_no_secret, store
from tests.support.provider_server import Answer, ProviderServer, RecordedRequest

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


class SlowProviderServer(ProviderServer):
    """Answers after `delay` seconds, counting how many requests are in flight at most."""

    delay = 0.0
    in_flight = 0
    most_in_flight = 0
    _lock = threading.Lock()

    def answer(self, request: RecordedRequest) -> Answer:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1
        return super().answer(request)


@pytest.fixture
def providers(settings: Any) -> Iterator[SlowProviderServer]:
    with SlowProviderServer.running() as server:
        server.point(settings)
        yield server  # type: ignore[misc]


def sent_keys(server: ProviderServer) -> set[str | None]:
    return {request.key for request in server.requests}


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("7d", 7 * DAY),
        ("1d", DAY),
        ("12h", dt.timedelta(hours=12)),
        ("30m", dt.timedelta(minutes=30)),
        ("2w", 14 * DAY),
    ],
)
def test_ages_are_a_number_and_a_unit(text, age) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize("bad", ["7", "d", "0d", "-1d", "1.5d", "7 days", "1y", ""])
def test_a_bad_age_is_refused_with_examples(bad) -> None:
    with pytest.raises(ValueError, match="such as 7d, 12h, 30m or 2w"):
        parse_age(bad)


def test_only_keys_not_verified_within_the_age_are_sent(frozen, providers, canary) -> None:
    for key, verified_days_ago in (("never", None), ("old", 8), ("recent", 6)):
        last = None if verified_days_ago is None else START - verified_days_ago * DAY
        store(key, canary + key, last_verified_at=last)
        providers.accept(canary + key)

    run = reverify_stale(7 * DAY)

    assert sent_keys(providers) == {canary + "never", canary + "old"}
    assert [(s.key, r.status) for s, r in run.verified] == [("never", "valid"), ("old", "valid")]
    assert run.fresh == 1
    assert Setting.objects.get(key="recent").last_verified_at == START - 6 * DAY
    assert Setting.objects.get(key="old").last_verified_at == START
    events = AuditEvent.objects.filter(action=AuditAction.VERIFIED)
    assert sorted(e.setting_key for e in events) == ["never", "old"]


def test_at_most_four_requests_are_in_flight(providers, canary) -> None:
    providers.delay = 0.3
    for n in range(10):
        store(f"key_{n}", f"{canary}{n:02d}")
        providers.accept(f"{canary}{n:02d}")

    run = reverify_stale(DAY)

    assert len(run.verified) == 10 and len(providers.requests) == 10
    assert providers.most_in_flight == MAX_CONCURRENT


def test_each_provider_waits_for_its_own_timeout(settings, providers, canary) -> None:
    providers.delay = 1.0
    settings.KEYVAULT_VERIFY_TIMEOUTS = {"openai": "0.2"}
    anthropic_key = "sk-ant-api03-" + canary[8:]
    store("openai_api_key", canary)
    store("anthropic_api_key", anthropic_key, provider="anthropic")
    providers.accept(canary)
    providers.accept(anthropic_key)

    run = reverify_stale(DAY)

    outcomes = {s.key: (r.status, r.detail) for s, r in run.verified}
    assert outcomes["openai_api_key"] == (
        "unreachable",
        "No answer from 127.0.0.1 within 0.2 s; try again later.",
    )
    assert outcomes["anthropic_api_key"][0] == "valid"


def test_requests_are_exactly_what_check_key_sends(providers) -> None:
    key = "sk-ant-api03-" + "k" * 40
    store("anthropic_api_key", key, provider="anthropic")
    providers.accept(key)

    reverify_stale(DAY)

    (request,) = providers.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["x-api-key"] == key
    assert request.headers["anthropic-version"] == "2023-06-01"


def test_a_key_check_key_would_not_send_is_never_sent(providers) -> None:
    store("openai_api_key", "sk-proj-ключ-0123456789abcdef")  # non-ASCII: no provider takes it

    run = reverify_stale(DAY)

    assert providers.requests == []
    assert [r.status for _, r in run.verified] == ["invalid"]


def test_an_unknown_provider_is_recorded_without_a_request(providers, canary) -> None:
    store("internal_token", canary, provider="other")

    run = reverify_stale(DAY)

    assert providers.requests == []
    assert [r.status for _, r in run.verified] == ["unverified"]
    assert Setting.objects.get().last_verified_at is not None


def test_a_key_that_turns_invalid_gets_one_notice(frozen, providers, admin_with_email, canary):
    setting = store("openai_api_key", canary)
    setting.record_verification("valid", "HTTP 200")
    store("already_bad", canary + "bad").record_verification("invalid", "HTTP 401")

    frozen.move_to(START + 2 * DAY, tick=False)
    run = reverify_stale(DAY)  # the provider no longer knows either key
    frozen.move_to(START + 4 * DAY, tick=False)
    reverify_stale(DAY)

    assert [s.key for s in run.turned_invalid] == ["openai_api_key"]
    assert [m.subject for m in mail.outbox] == [
        "[keyvault] openai_api_key was refused by the provider when last verified (2025-01-03)"
    ]
    assert_no_secret(str(mail.outbox[0].body), canary, where="the notice")


def break_value(setting: Setting) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Setting._meta.db_table} SET value = %s WHERE id = %s",
            ["$kv1$r$AAAA$notaciphertext", setting.pk],
        )


def test_an_unreadable_key_is_reported_and_the_others_verified(providers, canary) -> None:
    break_value(store("broken_key", canary + "broken"))
    store("openai_api_key", canary)
    providers.accept(canary)

    run = reverify_stale(DAY)
    reverify_stale(DAY)

    assert [s.key for s, _ in run.unreadable] == ["broken_key"]
    assert [(s.key, r.status) for s, r in run.verified] == [("openai_api_key", "valid")]
    failed = AuditEvent.objects.filter(action=AuditAction.DECRYPTION_FAILED)
    assert [(e.setting_key, e.details["during"]) for e in failed] == [
        ("broken_key", "verify_settings --stale")  # once, however often it is tried
    ]


def verify_stale(*args: str) -> tuple[str, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_settings", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_the_command_prints_the_table_and_what_it_left_alone(frozen, providers, canary) -> None:
    store("openai_api_key", canary)
    store("recent", canary + "r", last_verified_at=START - DAY)
    providers.accept(canary)

    out, err, error = verify_stale("--stale", "7d")

    assert out.splitlines() == [
        "KEY             PROVIDER  STATUS  DETAIL",
        "openai_api_key  openai    valid   HTTP 200: the provider accepted the key.",
        "1 key(s) verified within 7d were left alone.",
    ]
    assert (err, error) == ("", None)


def test_the_command_fails_naming_invalid_keys(frozen, providers, canary) -> None:
    store("openai_api_key", canary)

    out, _, error = verify_stale("--stale", "1d")

    assert error is not None and str(error) == "1 invalid key(s): openai_api_key."
    assert_no_secret(out, canary, where="verify_settings output")


def test_named_keys_limit_the_stale_run(frozen, providers, canary) -> None:
    store("openai_api_key", canary)
    store("other_key", canary + "o")
    providers.accept(canary)

    out, _, error = verify_stale("openai_api_key", "--stale", "1d")

    assert sent_keys(providers) == {canary} and error is None
    assert "other_key" not in out


def test_a_bad_stale_age_is_a_usage_error() -> None:
    with pytest.raises(CommandError, match="'soon' is not an age"):
        call_command("verify_settings", "--stale", "soon")


def test_a_notice_that_cannot_be_sent_fails_with_status_2(frozen, providers, webhook, canary):
    store("openai_api_key", canary).record_verification("valid", "HTTP 200")
    webhook.status = 500
    frozen.move_to(START + 2 * DAY, tick=False)

    out, _, error = verify_stale("--stale", "1d")

    assert error is not None and error.returncode == 2
    assert str(error) == "1 invalid key(s): openai_api_key. 1 notice(s) could not be sent."
    assert "failed: openai_api_key: turned invalid (webhook)" in out


def test_the_command_names_an_unreadable_key_on_stderr_and_fails(providers, canary) -> None:
    break_value(store("broken_key", canary + "broken"))

    out, err, error = verify_stale("--stale", "1d")

    assert err.startswith("broken_key cannot be decrypted (")
    assert error is not None and str(error) == "1 key(s) cannot be decrypted."
    assert "0 key(s) verified within 1d were left alone." in out
