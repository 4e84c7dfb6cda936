"""Setting.objects.get_value's cache within one process: hits, expiry, and every invalidation."""

from __future__ import annotations

import base64
import logging
import pickle
import threading

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from settings_app.lookups import values as value_cache
from settings_app.models import Setting, VerificationStatus

KEY = "openai_api_key"
OLD, NEW = "sk-proj-cache-old-0123456789abcdef", "sk-proj-cache-new-fedcba9876543210"

# Saves commit at once here, as in production (a TestCase transaction would stay uncommitted).
pytestmark = pytest.mark.django_db(transaction=True)


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(value_cache, "monotonic", fake)
    return fake


@pytest.fixture
def stored() -> Setting:
    return Setting.objects.create(key=KEY, value=OLD, provider="openai")


def warm(key: str = KEY) -> str | None:
    """Read once to fill the cache (and the once-a-second stamp check); return the value."""
    return Setting.objects.get_value(key)


def test_a_warm_read_sends_no_query(stored, clock, django_assert_num_queries) -> None:
    assert warm() == OLD
    with django_assert_num_queries(0):
        for _ in range(100):
            assert Setting.objects.get_value(KEY) == OLD
        clock.advance(0.9)
        assert Setting.objects.get_value(KEY) == OLD


def test_values_expire_after_the_configured_seconds(
    stored, clock, settings, django_assert_num_queries
) -> None:
    settings.KEYVAULT_VALUE_CACHE_SECONDS = 10
    warm()
    Setting.objects.filter(key=KEY).update(value=NEW)  # behind the cache's back: no signal
    clock.advance(9)
    assert Setting.objects.get_value(KEY) == OLD
    clock.advance(2)
    assert Setting.objects.get_value(KEY) == NEW


def test_zero_seconds_turns_the_cache_off(stored, settings, django_assert_num_queries) -> None:
    settings.KEYVAULT_VALUE_CACHE_SECONDS = 0
    for _ in range(3):
        with django_assert_num_queries(1):
            assert Setting.objects.get_value(KEY) == OLD


def test_the_setting_is_read_at_call_time(stored, clock, settings) -> None:
    warm()
    Setting.objects.filter(key=KEY).update(value=NEW)
    assert Setting.objects.get_value(KEY) == OLD
    settings.KEYVAULT_VALUE_CACHE_SECONDS = 0
    assert Setting.objects.get_value(KEY) == NEW
    Setting.objects.filter(key=KEY).update(value="sk-proj-cache-newest-0000000000")
    assert Setting.objects.get_value(KEY) == "sk-proj-cache-newest-0000000000"
    settings.KEYVAULT_VALUE_CACHE_SECONDS = 30
    Setting.objects.get_value(KEY)
    Setting.objects.filter(key=KEY).update(value=OLD)
    assert Setting.objects.get_value(KEY) == "sk-proj-cache-newest-0000000000"  # cached again


def test_a_save_is_seen_at_once(stored, clock) -> None:
    warm()
    stored.value = NEW
    stored.save()
    assert Setting.objects.get_value(KEY) == NEW


def test_a_delete_is_seen_at_once(stored, clock) -> None:
    warm()
    stored.delete()
    assert Setting.objects.get_value(KEY) is None
    assert Setting.objects.get_value(KEY, default="fallback") == "fallback"


def test_a_renamed_key_no_longer_answers(stored, clock) -> None:
    warm()
    stored.key = "openai_api_key_old"
    stored.save()
    assert Setting.objects.get_value(KEY) is None
    assert Setting.objects.get_value("openai_api_key_old") == OLD


def test_a_missing_key_is_cached_until_it_is_created(clock, django_assert_num_queries) -> None:
    assert warm("mistral_api_key") is None
    with django_assert_num_queries(0):
        assert Setting.objects.get_value("mistral_api_key", default="") == ""
    Setting.objects.create(key="mistral_api_key", value=NEW, provider="mistral")
    assert Setting.objects.get_value("mistral_api_key") == NEW


def test_recording_a_verification_keeps_the_cache(stored, clock, django_assert_num_queries) -> None:
    warm()
    stored.record_verification(VerificationStatus.VALID, "ok")
    with django_assert_num_queries(0):
        assert Setting.objects.get_value(KEY) == OLD


def test_invalidate_is_the_way_to_announce_other_changes(stored, clock) -> None:
    warm()
    Setting.objects.filter(key=KEY).update(value=NEW)  # e.g. restoring an earlier version
    assert Setting.objects.get_value(KEY) == OLD
    before = cache.get(value_cache.STAMP_KEY)
    value_cache.invalidate(KEY)
    assert Setting.objects.get_value(KEY) == NEW
    assert cache.get(value_cache.STAMP_KEY) not in (None, before)  # other processes are told


# --- transactions -----------------------------------------------------------------------------


def test_a_rolled_back_change_is_never_cached(stored, clock) -> None:
    warm()
    with transaction.atomic():
        stored.value = NEW
        stored.save()
        assert Setting.objects.get_value(KEY) == NEW  # the writer sees its own change
        assert Setting.objects.get_value(KEY) == NEW
        transaction.set_rollback(True)
    assert Setting.objects.get_value(KEY) == OLD


def test_a_rolled_back_savepoint_leaves_the_outer_change(stored, clock) -> None:
    warm()
    with transaction.atomic():
        stored.value = NEW
        stored.save()
        with transaction.atomic():
            Setting.objects.filter(key=KEY).update(value="sk-proj-inner-change-000000")
            value_cache.invalidate(KEY)
            transaction.set_rollback(True)
        assert Setting.objects.get_value(KEY) == NEW
        transaction.set_rollback(True)
    assert Setting.objects.get_value(KEY) == OLD


def test_other_processes_are_told_only_when_the_change_commits(stored, clock) -> None:
    warm()
    before = cache.get(value_cache.STAMP_KEY)
    with transaction.atomic():
        stored.value = NEW
        stored.save()
        assert cache.get(value_cache.STAMP_KEY) == before
    assert cache.get(value_cache.STAMP_KEY) != before
    assert Setting.objects.get_value(KEY) == NEW


def test_after_a_commit_the_cache_is_used_again(stored, clock, django_assert_num_queries) -> None:
    with transaction.atomic():
        stored.value = NEW
        stored.save()
    warm()
    with django_assert_num_queries(0):
        assert Setting.objects.get_value(KEY) == NEW


def test_a_value_read_inside_a_transaction_is_kept_a_second_at_most(stored, clock) -> None:
    # The transaction may read a snapshot older than another process's latest change.
    with transaction.atomic():
        assert warm() == OLD
        Setting.objects.filter(key=KEY).update(value=NEW)  # stands in for that older snapshot
        clock.advance(0.9)
        assert Setting.objects.get_value(KEY) == OLD
        clock.advance(0.2)
        assert Setting.objects.get_value(KEY) == NEW


@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent transactions need PostgreSQL")
def test_other_threads_read_the_committed_value_meanwhile(stored, clock) -> None:
    warm()
    seen: list[str | None] = []

    def other_thread() -> None:
        try:
            seen.append(Setting.objects.get_value(KEY))
        finally:
            connection.close()

    with transaction.atomic():
        stored.value = NEW
        stored.save()
        reader = threading.Thread(target=other_thread)
        reader.start()
        reader.join()
        assert Setting.objects.get_value(KEY) == NEW
    assert seen == [OLD]
    assert Setting.objects.get_value(KEY) == NEW  # what the other thread cached was dropped


# --- the shared stamp -------------------------------------------------------------------------


def test_a_stamp_changed_elsewhere_empties_the_cache_within_a_second(
    stored, clock, django_assert_num_queries
) -> None:
    warm()
    Setting.objects.filter(key=KEY).update(value=NEW)
    cache.set(value_cache.STAMP_KEY, "another-process-changed-something")
    clock.advance(0.5)
    assert Setting.objects.get_value(KEY) == OLD  # not re-read yet: at most once a second
    clock.advance(0.6)
    assert Setting.objects.get_value(KEY) == NEW


def test_the_shared_cache_never_holds_a_value_or_a_ciphertext(stored, clock) -> None:
    warm()
    stored.value = NEW
    stored.save()
    warm()
    Setting.objects.create(
        key="anthropic_api_key", value="sk-ant-cache-test-99887766", provider="anthropic"
    )
    warm("anthropic_api_key")
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key, value FROM keyvault_cache")
        rows = cursor.fetchall()
    assert [key for key, _ in rows] == [":1:" + value_cache.STAMP_KEY]
    stamp = pickle.loads(base64.b64decode(rows[0][1]))  # noqa: S301  (our own cache row)
    assert isinstance(stamp, str) and len(stamp) == 16
    assert OLD not in stamp and NEW not in stamp and "$kv1$" not in stamp


def test_without_a_reachable_shared_cache_values_still_expire(
    stored, clock, settings, caplog
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                    "LOCATION": "redis://127.0.0.1:9/0"}
    }  # fmt: skip
    settings.KEYVAULT_VALUE_CACHE_SECONDS = 5
    with caplog.at_level(logging.WARNING, logger="settings_app.lookups.values"):
        assert warm() == OLD
        stored.value = NEW
        stored.save()  # cannot announce it: logged, and this process still sees it
        assert Setting.objects.get_value(KEY) == NEW
        clock.advance(1.5)
        Setting.objects.get_value(KEY)
    warnings = [r for r in caplog.records if r.name == "settings_app.lookups.values"]
    assert len(warnings) == 1 and "KEYVAULT_VALUE_CACHE_SECONDS" in warnings[0].getMessage()
    assert NEW not in caplog.text and OLD not in caplog.text
