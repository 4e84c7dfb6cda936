"""The hot path's shortcuts keep their promises: raw lookups decrypt like the ORM, and the ORM
counter path counts like the upsert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from settings_app.api import counters
from settings_app.api.models import RateLimitCounter
from settings_app.lookups.rows import first_where
from settings_app.models import Setting
from tests.api.conftest import OPENAI_VALUE


@pytest.mark.django_db
def test_a_raw_lookup_decrypts_like_the_orm(stored) -> None:
    found = first_where(Setting, "key", ["openai_api_key"], ["key", "value", "version"])
    assert found is not None and found.value == OPENAI_VALUE and found.version == 1
    other = first_where(Setting, "key", ["missing", "mistral_api_key"])
    assert other is not None and other.key == "mistral_api_key"
    assert first_where(Setting, "key", ["missing"]) is None


@pytest.mark.django_db
def test_a_raw_lookup_treats_its_values_as_data(stored) -> None:
    assert first_where(Setting, "key", ["x' OR '1'='1"]) is None


@pytest.mark.django_db
def test_the_orm_counter_path_counts_like_the_upsert() -> None:
    expires = timezone.now() + timedelta(minutes=1)
    assert [counters._update_or_create("default", "orm", expires) for _ in range(3)] == [1, 2, 3]
    assert [counters._upsert("default", "sql", expires) for _ in range(3)] == [1, 2, 3]
    assert dict(RateLimitCounter.objects.values_list("key", "count")) == {"orm": 3, "sql": 3}
