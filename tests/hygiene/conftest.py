"""Hygiene fixtures: one user per keyvault role, and a log capture that misses no logger."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from settings_app import roles

PASSWORD = "correct horse battery staple"
REASON = "Rotating the staging worker's key"
ADMIN = "/admin/"
SETTINGS = ADMIN + "settings_app/setting/"
AUDIT = ADMIN + "settings_app/auditevent/"
LOGIN = ADMIN + "login/"

# Role -> the group its user belongs to ("" for none); anonymous has no user at all.
ROLE_GROUPS: dict[str, str] = {
    "nogroup": "",
    "viewer": roles.VIEWERS,
    "editor": roles.EDITORS,
    "key_admin": roles.KEY_ADMINS,
    "superuser": "",
}


def make_user(role: str) -> User:
    """A staff user in `role`'s group (superusers need no group)."""
    user = User.objects.create_user(
        role, password=PASSWORD, is_staff=True, is_superuser=role == "superuser"
    )
    if ROLE_GROUPS[role]:
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
    return user


def client_for(role: str, **kwargs: object) -> Client:
    """A test client logged in as a fresh user in `role` (not logged in for "anonymous")."""
    client = Client(**kwargs)  # type: ignore[arg-type]
    if role != "anonymous":
        client.force_login(make_user(role))
    return client


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog at DEBUG on every logger, also those that do not propagate (django.request)."""
    caplog.set_level(logging.DEBUG)
    names = [*logging.root.manager.loggerDict, "django.request", "httpx", "httpcore"]
    detached = []
    for name in dict.fromkeys(names):
        caplog.set_level(logging.DEBUG, logger=name)
        logger = logging.getLogger(name)
        if not logger.propagate and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            detached.append(logger)
    yield caplog
    for logger in detached:
        logger.removeHandler(caplog.handler)
