"""Idle sessions end: KEYVAULT_SESSION_IDLE_MINUTES (default 30) without a request logs out.

SESSION_COOKIE_AGE stays what it was, an absolute limit from sign-in; the idle timeout is the
second, shorter one, measured from the last request.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/settings_app/setting/"
LOGIN = "/admin/login/"


@pytest.fixture
def signed_in(client: Client) -> Client:
    user = User.objects.create_superuser("idle", password="correct horse battery staple")
    client.force_login(user)
    return client


def opens_the_list(client: Client) -> bool:
    response = client.get(CHANGELIST)
    if response.status_code == 302:
        assert response["Location"].startswith(LOGIN)
        return False
    assert response.status_code == 200
    return True


def test_the_default_is_thirty_minutes() -> None:
    assert django_settings.KEYVAULT_SESSION_IDLE_MINUTES == 30


def test_an_idle_session_is_logged_out(signed_in: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert opens_the_list(signed_in)
        clock.shift(timedelta(minutes=30, seconds=1))
        assert not opens_the_list(signed_in)
        assert not opens_the_list(signed_in)  # logged out for good, not for one request
    assert "_auth_user_id" not in signed_in.session


def test_activity_keeps_it_alive_until_the_absolute_limit(signed_in: Client, settings) -> None:
    settings.SESSION_COOKIE_AGE = 2 * 3600
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(6):  # 6 x 20 minutes: never idle for 30, but past the 2-hour limit
            assert opens_the_list(signed_in)
            clock.shift(timedelta(minutes=20))
        assert not opens_the_list(signed_in)


def test_the_setting_is_read_at_call_time(signed_in: Client, settings) -> None:
    settings.KEYVAULT_SESSION_IDLE_MINUTES = 5
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert opens_the_list(signed_in)
        clock.shift(timedelta(minutes=4))
        assert opens_the_list(signed_in)
        clock.shift(timedelta(minutes=5, seconds=1))
        assert not opens_the_list(signed_in)


def test_the_login_page_says_why(signed_in: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert opens_the_list(signed_in)
        clock.shift(timedelta(minutes=31))
        page = signed_in.get(CHANGELIST, follow=True)
    assert "signed out after 30 minutes without activity" in page.content.decode()


def test_zero_turns_the_idle_timeout_off(signed_in: Client, settings) -> None:
    settings.KEYVAULT_SESSION_IDLE_MINUTES = 0
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert opens_the_list(signed_in)
        clock.shift(timedelta(hours=7))
        assert opens_the_list(signed_in)
