"""The gateway's metrics: requests, tokens, time upstream and keyvault's own, recording failures.

Labels come from closed sets only: `provider` is a slug of the provider registry (never the
setting key the caller named), `status` an HTTP status, `direction` input or output. No token
name, setting key, model or address becomes a label.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from prometheus_client import Counter, Histogram

from .recording import OTHER

DIRECTIONS = ("input", "output")
ADDED_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
UPSTREAM_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

REQUESTS = Counter(
    "keyvault_gateway_requests",
    "Gateway requests sent upstream, by provider and the upstream's HTTP status "
    "(502: unreachable, 504: timed out).",
    ["provider", "status"],
)
REFUSALS = Counter(
    "keyvault_gateway_refusals",
    "Gateway requests answered before any upstream call, by HTTP status.",
    ["status"],
)
TOKENS = Counter(
    "keyvault_gateway_tokens",
    "Tokens the providers reported, by provider and direction (input, output).",
    ["provider", "direction"],
)
UNMETERED = Counter(
    "keyvault_gateway_unmetered",
    "Upstream answers that reported no usage, by provider.",
    ["provider"],
)
UPSTREAM_SECONDS = Histogram(
    "keyvault_gateway_upstream_seconds",
    "From sending a request upstream to the end of its answer, in seconds, by provider.",
    ["provider"],
    buckets=UPSTREAM_BUCKETS,
)
ADDED_SECONDS = Histogram(
    "keyvault_gateway_added_seconds",
    "keyvault's own time before the upstream call (Server-Timing kv;dur), in seconds.",
    ["provider"],
    buckets=ADDED_BUCKETS,
)
RECORDING_FAILURES = Counter(
    "keyvault_gateway_recording_failures",
    "Usage flushes that failed (their counts are kept for the next flush).",
)


@cache
def _child(metric: Counter | Histogram, *labels: str) -> Any:
    """One labelled series, looked up once: `labels()` costs ~10 us per call on the hot path,
    and every label set here is closed, so this cache stays small."""
    return metric.labels(*labels)


def _status(status: int) -> str:
    return str(status) if 100 <= status <= 599 else OTHER


def record_gateway_request(provider: str, status: int) -> None:
    """An upstream answer began with `status` (502 or 504: the gateway's own, none came)."""
    _child(REQUESTS, provider, _status(status)).inc()


def record_gateway_refusal(status: int) -> None:
    """A gateway request refused before anything was sent upstream."""
    _child(REFUSALS, _status(status)).inc()


def record_gateway_usage(
    provider: str, input_tokens: int, output_tokens: int, metered: bool
) -> None:
    """The usage one upstream answer reported (or that it reported none)."""
    for direction, count in zip(DIRECTIONS, (input_tokens, output_tokens), strict=True):
        if count > 0:
            _child(TOKENS, provider, direction).inc(count)
    if not metered:
        _child(UNMETERED, provider).inc()


def record_gateway_upstream(provider: str, seconds: float) -> None:
    """How long one upstream exchange took, to the end of its answer."""
    _child(UPSTREAM_SECONDS, provider).observe(seconds)


def record_gateway_added(provider: str, seconds: float) -> None:
    """keyvault's own time for one request before its upstream call."""
    _child(ADDED_SECONDS, provider).observe(seconds)


def record_gateway_recording_failure() -> None:
    """A flush of gateway usage that could not be written."""
    RECORDING_FAILURES.inc()
