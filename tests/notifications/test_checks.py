"""`manage.py check` names each bad reminder setting, with what to do."""

from __future__ import annotations

import pytest
from django.core.checks import CheckMessage, run_checks

# Plain `manage.py check` reads the key-check record (keyvault.E010): it needs the database.
pytestmark = pytest.mark.django_db


def reminder_messages() -> list[CheckMessage]:
    return [m for m in run_checks() if (m.id or "").startswith(("keyvault.E30", "keyvault.W30"))]


def ids() -> list[str]:
    return [message.id or "" for message in reminder_messages()]


def test_the_defaults_are_clean() -> None:
    assert reminder_messages() == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KEYVAULT_MAX_KEY_AGE_DAYS", -1),
        ("KEYVAULT_MAX_KEY_AGE_DAYS", "90"),
        ("KEYVAULT_VERIFY_MAX_AGE_DAYS", 1.5),
    ],
)
def test_policy_days_must_be_whole_and_not_negative(settings, name, value) -> None:
    setattr(settings, name, value)

    (message,) = reminder_messages()

    assert message.id == "keyvault.E301" and message.is_serious()
    assert name in message.msg and "0 or more" in message.msg


@pytest.mark.parametrize(
    ("timeouts", "said"),
    [
        ({"openai": "soon"}, "KEYVAULT_VERIFY_TIMEOUTS gives openai 'soon'"),
        ({"openai": "0"}, "above 0 and at most 300"),
        ({"openai": "301"}, "above 0 and at most 300"),
        ({"openia": "5"}, "names openia, which keyvault does not know"),
    ],
)
def test_timeouts_must_be_seconds_for_known_providers(settings, timeouts, said) -> None:
    settings.KEYVAULT_VERIFY_TIMEOUTS = timeouts

    (message,) = reminder_messages()

    assert message.id == "keyvault.E302" and said in message.msg


def test_good_timeouts_are_clean(settings) -> None:
    settings.KEYVAULT_VERIFY_TIMEOUTS = {"openai": "5", "gemini": 20.0}
    assert reminder_messages() == []


@pytest.mark.parametrize("url", ["hooks.example.com/x", "ftp://hooks.example.com/x", "http://"])
def test_the_webhook_url_must_be_http(settings, url) -> None:
    settings.KEYVAULT_NOTIFY_WEBHOOK_URL = url
    settings.KEYVAULT_NOTIFY_WEBHOOK_SECRET = "s" * 32

    assert ids() == ["keyvault.E303"]


def test_an_unsigned_webhook_is_a_warning(settings) -> None:
    settings.KEYVAULT_NOTIFY_WEBHOOK_URL = "https://hooks.example.com/services/x"

    (message,) = reminder_messages()

    assert message.id == "keyvault.W301" and not message.is_serious()
    assert "KEYVAULT_NOTIFY_WEBHOOK_SECRET" in (message.hint or "")


def test_notice_addresses_must_be_addresses(settings) -> None:
    settings.KEYVAULT_NOTIFY_EMAILS = ["ops@example.com", "not an address"]

    (message,) = reminder_messages()

    assert message.id == "keyvault.E304" and "'not an address'" in message.msg
