"""Reminder fixtures: a webhook receiver on 127.0.0.1, key admins with addresses, frozen time.

Secrets are canaries (`make_canary`): any trace of one in a notice, an audit row or output is a
leak, and `assert_no_secret` says where.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from settings_app import roles
from settings_app.models import Setting
from tests.admin.conftest import make_canary, secret_parts
from tests.support.webhook_receiver import Received, WebhookReceiver

__all__ = ["Received", "WebhookReceiver"]  # imported from here by other tests

WEBHOOK_SECRET = "whsec-test-0123456789abcdef0123456789"
START = dt.datetime(2025, 1, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def webhook(settings: Any) -> Iterator[WebhookReceiver]:
    """A running receiver, configured as the notice webhook with a signing secret."""
    with WebhookReceiver.running() as receiver:
        settings.KEYVAULT_NOTIFY_WEBHOOK_URL = receiver.url
        settings.KEYVAULT_NOTIFY_WEBHOOK_SECRET = WEBHOOK_SECRET
        yield receiver


@pytest.fixture
def admin_with_email(db: None) -> User:
    """A key admin with an address: the default recipient of notices."""
    user = User.objects.create_user("kim", "kim@example.com", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.KEY_ADMINS))
    return user


@pytest.fixture
def frozen(time_machine: Any) -> Any:
    """Time stands still at START until a test moves it."""
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def canary() -> str:
    return make_canary()


def store(key: str, value: str, **fields: Any) -> Setting:
    """A stored setting; `value_changed_at` (which saving sets to now) is backdated after."""
    fields.setdefault("provider", "openai")
    changed_at = fields.pop("value_changed_at", None)
    setting = Setting.objects.create(key=key, value=value, **fields)
    if changed_at is not None:
        Setting.objects.filter(pk=setting.pk).update(value_changed_at=changed_at)
        setting.refresh_from_db()
    return setting


def assert_no_secret(text: str, *secrets: str, where: str = "") -> None:
    for secret in secrets:
        for part in secret_parts(secret):
            assert part not in text, f"a secret leaked into {where or 'the text'}"
