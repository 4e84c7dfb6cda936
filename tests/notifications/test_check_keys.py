"""`manage.py check_keys`: one line per due key, JSON on request, notices, and its exit status."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests.admin.conftest import make_canary
from tests.conftest import run_manage
from tests.notifications.conftest import START, assert_no_secret, store
from tests.support.keys import sqlite_env

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def check_keys(*args: str) -> tuple[str, str, CommandError | None]:
    """(stdout, stderr, the CommandError raised or None)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check_keys", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_nothing_due_says_so_and_succeeds(frozen, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date() + 60 * DAY)

    assert check_keys() == ("No keys are due.\n", "", None)


def test_each_due_key_gets_one_line_with_why_and_what_to_do(frozen, settings, canary) -> None:
    settings.KEYVAULT_MAX_KEY_AGE_DAYS = 90
    anthropic = make_canary("sk-ant-api03-")
    store("anthropic_api_key", anthropic, provider="anthropic", expires_at=START.date() + 3 * DAY)
    old = store("openai_api_key", canary, value_changed_at=START - 100 * DAY)
    old.record_verification("invalid", "HTTP 401")

    out, _, error = check_keys()

    assert out.splitlines() == [
        f"anthropic_api_key (anthropic, sk-ant-api…{anthropic[-4:]}): expires in 3 days "
        "(2025-01-04) - create a new key at the provider and replace this one before then",
        f"openai_api_key (openai, sk-proj-…{canary[-4:]}): was refused by the provider when "
        "last verified (2025-01-01) - replace it with a working key, then verify it; is 100 "
        "days old; it is rotated every 90 days - create a new key at the provider, replace "
        "this one, then revoke the old key",
    ]
    assert error is not None and error.returncode == 1
    assert str(error) == "2 key(s) due."
    assert_no_secret(out, canary, where="check_keys output")
    assert anthropic[len("sk-ant-api") : -4] not in out


def test_within_widens_or_narrows_the_expiry_window(frozen, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date() + 40 * DAY)

    assert check_keys()[2] is None
    assert check_keys("--within", "45")[2] is not None
    assert check_keys("--within", "0")[2] is None


@pytest.mark.parametrize("bad", ["-1", "soon", "3.5", "99999"])
def test_a_bad_within_is_refused_saying_what_to_give(bad) -> None:
    with pytest.raises(CommandError, match="give a whole number of days from 0 to 3650"):
        call_command("check_keys", "--within", bad)


def test_json_prints_only_a_list_of_due_keys_and_their_reasons(frozen, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date() - 2 * DAY)
    store("fine_key", canary + "x")

    out, _, error = check_keys("--json")

    assert json.loads(out) == [
        {
            "key": "openai_api_key",
            "provider": "openai",
            "mask": f"sk-proj-…{canary[-4:]}",
            "expires_at": "2024-12-30",
            "value_changed_at": "2025-01-01T09:00:00+00:00",
            "last_verified_at": None,
            "verification_status": "unverified",
            "reasons": [
                {
                    "code": "expired",
                    "message": "expired on 2024-12-30 (2 days ago)",
                    "action": "create a new key at the provider, replace this one and set its "
                    "new expiry date",
                }
            ],
        }
    ]
    assert error is not None and error.returncode == 1


def test_json_with_nothing_due_is_an_empty_list(frozen) -> None:
    out, _, error = check_keys("--json")
    assert (json.loads(out), error) == ([], None)


def test_notify_sends_and_reports_and_json_stays_clean(frozen, admin_with_email, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date() + 7 * DAY)

    out, err, _ = check_keys("--json", "--notify")
    again, err_again, _ = check_keys("--notify")

    assert [due["key"] for due in json.loads(out)] == ["openai_api_key"]
    assert err == "sent: openai_api_key: expires within 7 days (email)\n"
    assert again.splitlines()[-1] == "1 notice(s) had been sent before."
    assert err_again == ""
    assert len(mail.outbox) == 1


def test_notify_without_any_recipient_says_how_to_add_one(frozen, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date())

    out, _, _ = check_keys("--notify")

    assert "nobody is configured to receive them" in out
    assert "KEYVAULT_NOTIFY_EMAILS" in out


def test_a_failed_notice_fails_the_run_even_with_nothing_listed(frozen, webhook, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date() + 20 * DAY)
    webhook.status = 503

    out, _, error = check_keys("--within", "5", "--notify")

    assert "failed: openai_api_key: expires within 30 days (webhook) - The webhook at " in out
    assert "answered HTTP 503. A later run retries it." in out
    assert error is not None and str(error) == "1 notice(s) could not be sent."
    assert error.returncode == 2  # apart from 1, "keys are due", so a scheduler can tell


@pytest.mark.slow
def test_exit_status_is_1_when_a_key_is_due_and_0_otherwise(tmp_path) -> None:
    env = sqlite_env(tmp_path / "check.sqlite3")
    assert run_manage("migrate", "--noinput", env=env).returncode == 0

    clean = run_manage("check_keys", env=env)
    assert (clean.returncode, clean.stdout) == (0, "No keys are due.\n")

    create = (
        "import datetime; from settings_app.models import Setting; "
        "Setting.objects.create(key='openai_api_key', value='sk-proj-exitcode-0123456789', "
        "provider='openai', expires_at=datetime.date.today() - datetime.timedelta(days=1))"
    )
    assert run_manage("shell", "-c", create, env=env).returncode == 0
    due = run_manage("check_keys", "--json", env=env)

    assert due.returncode == 1
    assert [item["key"] for item in json.loads(due.stdout)] == ["openai_api_key"]
    assert "1 key(s) due." in due.stderr
    assert "exitcode" not in due.stdout + due.stderr
