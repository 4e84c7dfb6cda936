"""Users in each keyvault role, and a stored setting to reveal: fixtures for the audit and
reveal tests, which import them (`from tests.support.role_users import key_admin, ...`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from settings_app import roles
from settings_app.models import Setting

PASSWORD = "correct horse battery staple"
SECRET = "sk-proj-" + "Q7f3kLm9Xz2Rb8Vn4Tc1Wy6Hd0Pa5Je" * 2


def make_user(username: str, group: str | None = None, **flags: Any) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **flags)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def key_admin(db) -> User:
    return make_user("kim", roles.KEY_ADMINS)


@pytest.fixture
def editor(db) -> User:
    return make_user("eddie", roles.EDITORS)


@pytest.fixture
def viewer(db) -> User:
    return make_user("vera", roles.VIEWERS)


@pytest.fixture
def superuser(db) -> User:
    return make_user("root", is_superuser=True)


@pytest.fixture
def setting(db) -> Setting:
    return Setting.objects.create(key="openai_api_key", value=SECRET, provider="openai")
