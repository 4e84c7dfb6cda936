"""The Provider keys page: a banner of due keys with links, a "Due" filter, a key's age."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils.formats import date_format

from settings_app.models import Setting
from tests.admin.conftest import (  # noqa: F401  (fixtures)
    CHANGELIST,
    admin_client,
    change_url,
    form_data,
    leak_log,
    superuser,
    viewer,
    viewer_client,
)
from tests.notifications.conftest import START, store

DAY = dt.timedelta(days=1)


@pytest.fixture
def watched(leak_log, canary) -> str:  # noqa: F811
    leak_log.append(canary)
    return canary


def banner_items(html: str) -> list[str]:
    section = re.search(r'<section id="due-keys".*?</section>', html, re.S)
    if section is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", section.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in items]


def short(moment: dt.date) -> str:
    return date_format(moment, "SHORT_DATE_FORMAT")


def test_the_banner_lists_due_keys_with_links(frozen, admin_client, watched) -> None:  # noqa: F811
    expiring = store("openai_api_key", watched, expires_at=START.date() + 3 * DAY)
    store("fine_key", watched + "f", expires_at=START.date() + 90 * DAY)
    store("refused_key", watched + "r").record_verification("invalid", "HTTP 401")

    html = admin_client.get(CHANGELIST).content.decode()

    assert banner_items(html) == [
        "openai_api_key: expires in 3 days (2025-01-04)",
        "refused_key: was refused by the provider when last verified (2025-01-01)",
    ]
    assert "2 keys need attention" in html
    assert f'<a href="{change_url(expiring)}">openai_api_key</a>' in html


def test_viewers_see_the_banner_too(frozen, viewer_client, watched) -> None:  # noqa: F811
    store("openai_api_key", watched, expires_at=START.date() - DAY)

    html = viewer_client.get(CHANGELIST).content.decode()

    assert banner_items(html) == ["openai_api_key: expired on 2024-12-31 (1 day ago)"]
    assert "1 key needs attention" in html


def test_no_banner_when_nothing_is_due(frozen, admin_client, watched) -> None:  # noqa: F811
    store("openai_api_key", watched)

    html = admin_client.get(CHANGELIST).content.decode()

    assert 'id="due-keys"' not in html


def test_the_due_filter_shows_due_keys_or_the_others(frozen, admin_client, watched) -> None:  # noqa: F811
    store("openai_api_key", watched, expires_at=START.date() + 3 * DAY)
    store("fine_key", watched + "f")

    due = admin_client.get(CHANGELIST, {"due": "yes"})
    not_due = admin_client.get(CHANGELIST, {"due": "no"})

    assert [s.key for s in due.context["cl"].result_list] == ["openai_api_key"]
    assert [s.key for s in not_due.context["cl"].result_list] == ["fine_key"]
    assert 'href="?due=yes"' in due.content.decode()


def test_the_change_page_shows_age_and_next_rotation(frozen, settings, admin_client, watched):  # noqa: F811
    settings.KEYVAULT_MAX_KEY_AGE_DAYS = 90
    setting = store("openai_api_key", watched, value_changed_at=START - 30 * DAY)

    html = admin_client.get(change_url(setting)).content.decode()

    assert "Age and rotation" in html
    assert f"30 days (value set on {short(START.date() - 30 * DAY)})" in html
    assert short(START.date() + 60 * DAY) in html


def test_an_overdue_rotation_says_so(frozen, admin_client, watched) -> None:  # noqa: F811
    setting = store(
        "openai_api_key", watched, value_changed_at=START - 10 * DAY, rotate_every_days=7
    )

    html = admin_client.get(change_url(setting)).content.decode()

    assert f"{short(START.date() - 3 * DAY)} (overdue)" in html


def test_without_a_policy_the_page_says_how_to_set_one(frozen, admin_client, watched) -> None:  # noqa: F811
    setting = store("openai_api_key", watched)

    html = admin_client.get(change_url(setting)).content.decode()

    assert "No rotation policy: set “rotate every (days)” here" in html


def test_rotate_every_days_is_edited_on_the_form(frozen, admin_client, watched) -> None:  # noqa: F811
    setting = store("openai_api_key", watched)

    admin_client.post(change_url(setting), form_data(rotate_every_days="30"))

    assert Setting.objects.get().rotate_every_days == 30


def test_an_absurd_rotation_period_is_refused(frozen, admin_client, watched) -> None:  # noqa: F811
    setting = store("openai_api_key", watched)

    response = admin_client.post(change_url(setting), form_data(rotate_every_days="99999"))

    assert "Ensure this value is less than or equal to 3650." in response.content.decode()
    assert Setting.objects.get().rotate_every_days is None
