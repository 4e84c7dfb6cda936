"""API fixtures: stored settings, tokens made through the service, a bearer-token client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from settings_app.api import services
from settings_app.models import Setting

OPENAI_VALUE = "sk-proj-" + "Zq4Lm8Tv2Xc6Rb0Nw3Hd7Ja1Ke5Pu9Gs" * 2
ANTHROPIC_VALUE = "sk-ant-api03-" + "Hn2Vb6Xq9Lt3Mc7Rz1Wk5Jd8Pf4Gs0Ya" * 2
MISTRAL_VALUE = "mistral-" + "Bq7Tz3Nv8Lc2Rw6Xk1Hm5Jd9Pf4Gs0Ya"
REDIS_URL = "redis://127.0.0.1:6379/7"
SETTINGS_URL = "/api/v1/settings/"


@pytest.fixture
def stored(db: None) -> dict[str, Setting]:
    """Three settings: two OpenAI-family keys and one Mistral key."""
    return {
        "openai_api_key": Setting.objects.create(
            key="openai_api_key", value=OPENAI_VALUE, provider="openai"
        ),
        "anthropic_api_key": Setting.objects.create(
            key="anthropic_api_key", value=ANTHROPIC_VALUE, provider="anthropic"
        ),
        "mistral_api_key": Setting.objects.create(
            key="mistral_api_key", value=MISTRAL_VALUE, provider="mistral"
        ),
    }


MakeToken = Callable[..., services.CreatedToken]


@pytest.fixture
def make_token(db: None) -> MakeToken:
    """Create a token through the service (as the admin and the command do)."""
    counter = iter(range(1000))

    def make(scope: list[str] | None = None, **kwargs: Any) -> services.CreatedToken:
        name = kwargs.pop("name", f"service-{next(counter)}")
        return services.create_token(name, scope or ["openai_api_key"], **kwargs)

    return make


def bearer(secret: str, **extra: Any) -> Client:
    """A test client that sends `Authorization: Bearer <secret>` on every request."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", **extra)


@pytest.fixture
def redis_cache(settings: Any) -> Iterator[None]:
    """The Django cache on Redis database 7, emptied before and after."""
    settings.CACHES = {
        "default": {
            "BACKEND": "settings_app.counters.redis_cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    caches["default"].clear()
    yield
    caches["default"].clear()
