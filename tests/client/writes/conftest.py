"""CLI write fixtures: the real API on live_server with a token that may write and roll back."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from django.apps import apps

from settings_app import roles
from settings_app.api import services
from settings_app.models import Setting
from tests.client.conftest import SCOPE, VALUES, ApiTarget, run_keyvault
from tests.support.role_users import make_user

NEW_OPENAI = "sk-proj-clientwrite-" + "Nw4Lq8Zp2Xv6Rt0Ym3Hc7Jb1Kd5" * 2


@pytest.fixture
def writable_api(live_server: Any, transactional_db: None) -> ApiTarget:
    """VALUES stored; a token reading and writing SCOPE, made by a key admin (so it may roll
    back and read older versions)."""
    roles.sync_roles(apps)  # a transactional test starts without the migrations' groups
    creator = make_user("kim", roles.KEY_ADMINS)
    for key, value in VALUES.items():
        Setting.objects.set_value(key, value)
    created = services.create_token(
        "cli-writer", SCOPE, write_scope=list(SCOPE), created_by=creator
    )
    return ApiTarget(live_server.url, created.secret, dict(VALUES), "internal_db_password")


def keyvault(
    api: ApiTarget, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`keyvault ARGS` against `api`, with `stdin` piped in (never a terminal)."""
    return run_keyvault(
        *args, url=api.url, token=api.token, env=env, input=stdin or "", capture_output=True
    )


def stored(key: str) -> str | None:
    found = Setting.objects.filter(key=key).first()
    return None if found is None else str(found.value)
