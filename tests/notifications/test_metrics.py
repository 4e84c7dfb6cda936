"""Notices sent and failed reach Prometheus by channel and outcome, never by key or address."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY

from settings_app.notifications.notices import notify_due
from tests.notifications.conftest import START, store

pytestmark = pytest.mark.django_db


def notices(channel: str, outcome: str) -> float:
    labels = {"channel": channel, "outcome": outcome}
    return REGISTRY.get_sample_value("keyvault_notices_total", labels) or 0.0


def test_sent_and_failed_notices_are_counted_per_channel(
    frozen, admin_with_email, webhook, canary
) -> None:
    before = {(c, o): notices(c, o) for c in ("email", "webhook") for o in ("sent", "failed")}
    store("openai_api_key", canary, expires_at=START.date() + dt.timedelta(days=7))
    webhook.status = 500
    notify_due()
    notify_due()  # the e-mail is already sent (not counted again); the webhook fails again
    grew = {pair: notices(*pair) - count for pair, count in before.items()}
    assert grew == {
        ("email", "sent"): 1, ("email", "failed"): 0,
        ("webhook", "sent"): 0, ("webhook", "failed"): 2,
    }  # fmt: skip
    exposed = "\n".join(str(sample) for metric in REGISTRY.collect() for sample in metric.samples)
    assert "openai_api_key" not in exposed and "kim@example.com" not in exposed
    assert canary not in exposed
