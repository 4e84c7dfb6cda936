"""Version fixtures: keys that look real, users in each role, and a setting with history."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from settings_app import roles
from settings_app.models import Setting

KEY = "openai_api_key"
PASSWORD = "correct horse battery staple"


def new_key() -> str:
    """A fresh OpenAI-looking key (random, so no two tests share one)."""
    return "sk-proj-" + secrets.token_urlsafe(30)


def masked(value: str) -> str:
    return f"sk-proj-…{value[-4:]}"


def make_user(username: str, group: str | None = None, **flags: Any) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **flags)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def key_admin(db: None) -> User:
    return make_user("kim", roles.KEY_ADMINS)


@pytest.fixture
def editor(db: None) -> User:
    return make_user("eddie", roles.EDITORS)


@pytest.fixture
def viewer(db: None) -> User:
    return make_user("vera", roles.VIEWERS)


@pytest.fixture
def values() -> list[str]:
    """Three distinct keys, in the order they are saved by `three_versions`."""
    return [new_key(), new_key(), new_key()]


@pytest.fixture
def three_versions(db: None, values: list[str]) -> Setting:
    """openai_api_key saved three times: versions 1, 2 and 3 (current)."""
    for value in values:
        setting = Setting.objects.set_value(KEY, value)
    return setting
