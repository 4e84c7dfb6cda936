"""check_usage over synthetic 30-day histories: fires at 2.1x, silent at 1.9x, once per day."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.management import CommandError, call_command

from settings_app import roles
from settings_app.api import services
from settings_app.api.models import ServiceToken
from settings_app.gateway import alerts
from settings_app.models import AuditEvent, GatewayUsage
from tests.notifications.conftest import WEBHOOK_SECRET, WebhookReceiver

TODAY = date(2026, 3, 18)  # a Wednesday
NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)
STEADY = 20_000

History = Callable[[date], int]


@pytest.fixture
def receiver(settings: Any) -> Iterator[WebhookReceiver]:
    with WebhookReceiver.running() as running:
        settings.KEYVAULT_NOTIFY_WEBHOOK_URL = running.url
        settings.KEYVAULT_NOTIFY_WEBHOOK_SECRET = WEBHOOK_SECRET
        yield running


@pytest.fixture
def frozen(time_machine: Any, db: None) -> Any:
    time_machine.move_to(NOW, tick=False)
    user = User.objects.create_user("kim", "kim@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.KEY_ADMINS))
    return time_machine


def token_with_history(name: str, history: History, days: int = 30) -> ServiceToken:
    token = services.create_token(name, [], gateway_scope=["*"]).token
    for back in range(1, days + 1):
        day = TODAY - timedelta(days=back)
        total = history(day)
        if total:
            record(token, day, total)
    return token


def record(token: ServiceToken, day: date, total: int, model: str = "gpt-stub-1") -> None:
    GatewayUsage.objects.create(
        day=day,
        token=token,
        setting_key="openai_api_key",
        model=model,
        requests=10,
        input_tokens=total // 2,
        output_tokens=total - total // 2,
    )


def steady(day: date) -> int:
    return STEADY


def weekday_seasonal(day: date) -> int:
    return 40_000 if day.weekday() < 5 else 5_000


def run() -> int:
    """check_usage's exit status."""
    try:
        call_command("check_usage", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError as error:
        return error.returncode
    return 0


@pytest.mark.parametrize(
    ("history", "normal"), [(steady, STEADY), (weekday_seasonal, 40_000)], ids=["steady", "weekly"]
)
def test_fires_at_2_1x_and_stays_silent_at_1_9x(
    frozen: Any, receiver: WebhookReceiver, history: History, normal: int
) -> None:
    hot = token_with_history("hot", history)
    calm = token_with_history("calm", history)
    record(hot, TODAY, int(normal * 2.1))
    record(calm, TODAY, int(normal * 1.9))

    assert run() == 1

    assert [alert["usage_alert"]["token_name"] for alert in receiver_payloads(receiver)] == ["hot"]
    assert len(mail.outbox) == 1 and "hot" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["kim@example.com"]
    event = AuditEvent.objects.get(action="usage_alert")
    assert event.details["token_name"] == "hot"
    assert event.details["baseline_tokens"] == normal
    assert event.details["today_tokens"] == int(normal * 2.1)
    assert len(event.details["baseline_days"]) == 14


def receiver_payloads(receiver: WebhookReceiver) -> list[dict[str, Any]]:
    return [received.json() for received in receiver.received]


def test_fires_once_per_day_and_again_the_next_day(frozen: Any, receiver: WebhookReceiver) -> None:
    hot = token_with_history("hot", steady)
    record(hot, TODAY, 50_000)

    first, second = run(), run()
    frozen.move_to(NOW + timedelta(days=1), tick=False)
    record(hot, TODAY + timedelta(days=1), 60_000)
    third = run()

    assert (first, second, third) == (1, 0, 1)
    assert len(receiver.received) == 2


def test_a_new_token_never_alerts(frozen: Any, receiver: WebhookReceiver) -> None:
    new = token_with_history("new", steady, days=6)  # fewer than 7 days with usage
    record(new, TODAY, STEADY * 10)

    assert run() == 0
    assert receiver.received == []


def test_a_baseline_under_the_floor_is_ignored(
    frozen: Any, receiver: WebhookReceiver, settings: Any
) -> None:
    quiet = token_with_history("quiet", lambda day: 500)
    record(quiet, TODAY, 50_000)

    assert run() == 0
    settings.KEYVAULT_USAGE_ALERT_FLOOR = 100
    assert run() == 1


def test_the_notice_carries_the_numbers_and_top_models(frozen: Any) -> None:
    hot = token_with_history("hot", steady)
    record(hot, TODAY, 30_000, model="big")
    record(hot, TODAY, 20_000, model="small")

    (alert,) = alerts.due_alerts()
    message = alerts.compose(alert)

    assert alert.top_models == (("big", 30_000), ("small", 20_000))
    assert "50,000" in message.text and "20,000" in message.text
    assert "big (30,000)" in message.text
