"""Benchmark 9a: `Setting.objects.get_value` from a warm per-process cache against uncached."""

from __future__ import annotations

import timeit

from django.core.management import call_command
from django.test import override_settings

from settings_app.models import Setting

from .report import Result, verdict
from .sizes import Sizes
from .timing import Sample, progress, ratio
from .values import api_keys

TARGET = 100
KEY = "openai_api_key"


def run(sizes: Sizes) -> list[Result]:
    call_command("createcachetable", verbosity=0)  # the change stamp lives in the default cache
    Setting.objects.update_or_create(key=KEY, defaults={"value": api_keys(1, seed=43)[0]})
    uncached_calls, warm_calls = max(20, sizes.crypto_calls // 20), sizes.crypto_calls
    progress(
        f"get_value: {sizes.rounds} rounds of {uncached_calls:,} uncached, {warm_calls:,} warm"
    )
    timer = timeit.Timer(lambda: Setting.objects.get_value(KEY))
    uncached, warm = [], []
    for _ in range(sizes.rounds):
        with override_settings(KEYVAULT_VALUE_CACHE_SECONDS=0):
            uncached.append(timer.timeit(uncached_calls) / uncached_calls)
        Setting.objects.get_value(KEY)  # fill the cache (leaving override_settings emptied it)
        warm.append(timer.timeit(warm_calls) / warm_calls)
    cold, hot = Sample(tuple(uncached)), Sample(tuple(warm))
    speedup = ratio(cold, hot)
    return [
        Result(
            "9a `get_value`, warm cache vs uncached (SQLite)",
            f"{speedup:,.0f}x faster",
            f">= {TARGET}x faster",
            verdict(speedup >= TARGET),
            f"warm {hot.spread(1e6, 'µs')}; uncached (a query and a decryption) "
            f"{cold.spread(1e6, 'µs')}",
        )
    ]
