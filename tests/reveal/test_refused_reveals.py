"""Refused reveals by staff without the permission: validated ids only, and coalesced.

A viewer reloading (or scripting) the reveal URL must not flood the append-only trail, nor
write whatever they put in the URL into it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from settings_app.audit.coalescing import flush_due
from settings_app.audit.models import CoalescedWindow
from settings_app.models import AuditAction, AuditEvent, Setting

pytestmark = pytest.mark.django_db
# Five seconds into the next minute: all requests of a test fall in one coalescing window.
T0 = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=5, microsecond=0)
CANARY = "url-garbage-canary-7Hq2"
GARBAGE = [
    "999999",
    "9" * 40,
    f"{CANARY}",
    f"1%20OR%201=1--{CANARY}",
    f"{CANARY}{'x' * 200}",
    f"..%2F..%2F{CANARY}",
]


def refused() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditAction.REVEAL_REFUSED).order_by("id"))


def get_reveal(client: Client, object_id: object, times: int = 1) -> None:
    with time_machine.travel(T0, tick=False):
        for _ in range(times):
            response = client.get(f"/admin/settings_app/setting/{object_id}/reveal/")
            assert response.status_code == 403


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    client = Client(REMOTE_ADDR="192.0.2.10")
    client.force_login(viewer)
    return client


def test_twenty_refused_gets_are_one_event_now_and_one_summary_later(
    viewer_client: Client, viewer: User, setting: Setting
) -> None:
    get_reveal(viewer_client, setting.pk, times=20)

    (first,) = refused()
    assert (first.setting_key, first.actor, first.details["result"]) == (
        setting.key,
        viewer,
        "no_permission",
    )
    assert first.ip == "192.0.2.10"

    assert flush_due(T0 + timedelta(minutes=2)) == 1
    first_again, summary = refused()
    assert first_again == first  # the trail was appended to, not edited
    assert (summary.setting_key, summary.actor_label, summary.details["repeats"]) == (
        setting.key,
        viewer.username,
        19,
    )
    assert summary.details["result"] == "no_permission"


def test_ids_from_the_url_reach_the_trail_only_when_they_name_a_setting(
    viewer_client: Client, setting: Setting
) -> None:
    for object_id in GARBAGE * 2:
        get_reveal(viewer_client, object_id)
    flush_due(T0 + timedelta(minutes=2))

    first, summary = refused()  # every unknown id is the same refusal: coalesced
    assert summary.details["repeats"] == len(GARBAGE) * 2 - 1
    for event in (first, summary):
        assert event.setting_key == ""
        assert "999999" not in str(event.details) and CANARY not in str(event.details)
    assert CANARY not in str(list(AuditEvent.objects.values()))
    assert not CoalescedWindow.objects.exists()


def test_refusals_of_different_settings_are_each_recorded(
    viewer_client: Client, setting: Setting
) -> None:
    other = Setting.objects.create(key="second_key", value="plain-second-value")
    get_reveal(viewer_client, setting.pk, times=3)
    get_reveal(viewer_client, other.pk, times=3)
    assert [event.setting_key for event in refused()] == [setting.key, other.key]
