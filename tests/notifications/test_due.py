"""Which keys are due, and why: expiry, rotation age, failed and stale verification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from settings_app.models import Setting
from settings_app.notifications.due import due_settings
from settings_app.notifications.policy import Policy
from tests.notifications.conftest import START, store

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
TODAY = START.date()


def due_codes(**kwargs) -> dict[str, list[str]]:
    kwargs.setdefault("now", START)
    kwargs.setdefault("policy", Policy())
    return {due.key: [str(code) for code in due.codes] for due in due_settings(**kwargs)}


def test_nothing_is_due_for_a_fresh_key_without_dates(canary) -> None:
    store("openai_api_key", canary)
    assert due_codes() == {}


@pytest.mark.parametrize(
    ("days_left", "within", "expected"),
    [
        (-1, 30, ["expired"]),
        (0, 30, ["expiring"]),  # expires today: still works today, as Setting.is_expired says
        (30, 30, ["expiring"]),
        (31, 30, []),
        (31, 45, ["expiring"]),
        (5, 0, []),
    ],
)
def test_expiry_within_the_window(canary, days_left, within, expected) -> None:
    store("openai_api_key", canary, expires_at=TODAY + dt.timedelta(days=days_left))
    assert due_codes(within_days=within).get("openai_api_key", []) == expected


def test_expiry_reasons_say_when_and_what_to_do(canary) -> None:
    store("old_key", canary + "a", expires_at=TODAY - 3 * DAY)
    store("soon_key", canary + "b", expires_at=TODAY + 5 * DAY)

    found = {due.key: due.reasons[0] for due in due_settings(now=START, policy=Policy())}

    assert found["old_key"].message == "expired on 2024-12-29 (3 days ago)"
    assert "replace this one" in found["old_key"].action
    assert found["soon_key"].message == "expires in 5 days (2025-01-06)"
    assert "before then" in found["soon_key"].action


def test_rotation_follows_the_global_policy(canary) -> None:
    store("openai_api_key", canary, value_changed_at=START - 91 * DAY)
    store("newer_key", canary + "x", value_changed_at=START - 89 * DAY)

    assert due_codes(policy=Policy(max_key_age_days=90)) == {"openai_api_key": ["rotation_due"]}
    assert due_codes(policy=Policy()) == {}  # 0: no policy


def test_a_keys_own_period_overrides_the_global_one(canary) -> None:
    store("strict", canary + "1", value_changed_at=START - 8 * DAY, rotate_every_days=7)
    store("relaxed", canary + "2", value_changed_at=START - 100 * DAY, rotate_every_days=365)
    store("never", canary + "3", value_changed_at=START - 900 * DAY, rotate_every_days=0)

    assert due_codes(policy=Policy(max_key_age_days=90)) == {"strict": ["rotation_due"]}


def test_rotation_reason_names_the_age_and_the_period(canary) -> None:
    store("openai_api_key", canary, value_changed_at=START - 120 * DAY)

    (due,) = due_settings(now=START, policy=Policy(max_key_age_days=90))

    assert due.reasons[0].message == "is 120 days old; it is rotated every 90 days"
    assert "revoke the old key" in due.reasons[0].action


def test_age_counts_from_the_last_value_change_not_from_creation(canary) -> None:
    store("openai_api_key", canary, value_changed_at=START - 10 * DAY)
    Setting.objects.filter(key="openai_api_key").update(created_at=START - 400 * DAY)

    assert due_codes(policy=Policy(max_key_age_days=90)) == {}


@pytest.mark.parametrize(
    ("status", "due"),
    [
        ("invalid", True),
        ("no_quota", True),
        ("valid", False),
        ("restricted", False),
        ("unreachable", False),  # an outage says nothing about the key
        ("unverified", False),
    ],
)
def test_a_failed_last_verification_is_due(canary, status, due) -> None:
    setting = store("openai_api_key", canary)
    setting.record_verification(status, "")

    assert due_codes() == ({"openai_api_key": ["verification_failed"]} if due else {})


def test_verification_age_is_off_unless_set(canary) -> None:
    store("never_verified", canary)

    assert due_codes() == {}
    assert due_codes(policy=Policy(verify_max_age_days=7)) == {"never_verified": ["never_verified"]}


def test_verification_older_than_the_limit_is_due(canary) -> None:
    for key, age in (("stale", 8), ("fresh", 6)):
        store(key, canary + key, last_verified_at=START - age * DAY)
    Setting.objects.update(verification_status="valid")

    assert due_codes(policy=Policy(verify_max_age_days=7)) == {"stale": ["verification_stale"]}


def test_a_key_no_provider_can_check_is_not_due_for_verification(canary) -> None:
    store("internal_token", canary, provider="other")
    assert due_codes(policy=Policy(verify_max_age_days=7)) == {}


def test_every_reason_of_a_key_is_listed(canary) -> None:
    setting = store(
        "openai_api_key", canary, expires_at=TODAY - DAY, value_changed_at=START - 200 * DAY
    )
    setting.record_verification("invalid", "")

    assert due_codes(policy=Policy(max_key_age_days=90)) == {
        "openai_api_key": ["expired", "verification_failed", "rotation_due"]
    }


def test_policy_is_read_from_settings_at_call_time(settings, canary) -> None:
    store("openai_api_key", canary, value_changed_at=START - 40 * DAY)
    settings.KEYVAULT_MAX_KEY_AGE_DAYS = 30
    assert [due.key for due in due_settings(now=START)] == ["openai_api_key"]
    settings.KEYVAULT_MAX_KEY_AGE_DAYS = 60
    assert due_settings(now=START) == []


def test_a_key_whose_value_cannot_be_decrypted_is_still_reported(canary) -> None:
    setting = store("openai_api_key", canary, expires_at=TODAY - DAY)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Setting._meta.db_table} SET value = %s WHERE id = %s",
            ["$kv1$r$AAAA$notaciphertext", setting.pk],
        )

    assert due_codes() == {"openai_api_key": ["expired"]}


def test_reasons_are_listed_by_key(canary) -> None:
    for key in ("zeta", "alpha", "mid"):
        store(key, canary + key, expires_at=TODAY)
    assert list(due_codes()) == ["alpha", "mid", "zeta"]
