"""CLI write fixtures: the real API on live_server with a token that may write and roll back."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from typing import Any

import pytest
from django.apps import apps

from settings_app import roles
from settings_app.api import services
from settings_app.models import Setting
from tests.client.conftest import SCOPE, VALUES, ApiTarget, run_keyvault
from tests.conftest import ROOT
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


def at_a_terminal(api: ApiTarget, *args: str, typed: str) -> bytes:
    """`keyvault ARGS` in a terminal of its own, `typed` at its prompt; what the terminal
    showed (the command must succeed)."""
    primary, secondary = pty.openpty()
    become_terminal_session = (
        "import os, sys; os.login_tty(int(sys.argv[1])); "
        "os.execv(sys.executable, [sys.executable] + sys.argv[2:])"
    )
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", become_terminal_session, str(secondary),
             "-m", "keyvault_client", *args],
            env={"PATH": os.environ["PATH"], "KEYVAULT_URL": api.url,
                 "KEYVAULT_TOKEN": api.token},
            cwd=ROOT, pass_fds=[secondary],
        )  # fmt: skip
        os.close(secondary)
        shown = _read_until(primary, b"(not shown): ")
        os.write(primary, typed.encode() + b"\n")
        shown += _read_rest(primary)
        assert process.wait(timeout=60) == 0, shown
    finally:
        os.close(primary)
    return shown


def _read_until(fd: int, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        seen += chunk
    return seen


def _read_rest(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side has closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)
