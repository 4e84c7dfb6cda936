"""Admin fixtures: logged-in clients that fail a test if any response or log shows a key."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client

from settings_app.models import Setting
from tests.support.provider_server import provider_server_fixture  # noqa: F401

CHANGELIST = "/admin/settings_app/setting/"
ADD = CHANGELIST + "add/"


def change_url(setting: Setting) -> str:
    return f"{CHANGELIST}{setting.pk}/change/"


def make_canary(prefix: str = "sk-proj-") -> str:
    """A key no page could show by accident: any trace of its middle is a leak."""
    return f"{prefix}CANARY-{secrets.token_hex(16)}"


def secret_parts(value: str) -> list[str]:
    """The whole value and its middle (what a mask hides: past the prefix, before the last 4)."""
    return [value, value[len("sk-proj-") : -4]]


class LeakCheckingClient(Client):
    """A test client that scans every response (body, headers, cookies) for known secrets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.secrets: list[str] = []
        self.scanned = 0

    def request(self, **request: Any) -> Any:
        response = super().request(**request)
        self.scan(response)
        return response

    def scan(self, response: Any) -> None:
        body = b"" if response.streaming else response.content
        seen = [body.decode(errors="replace"), str(response.headers), str(response.cookies)]
        for text in seen:
            for secret in self.secrets:
                for part in secret_parts(secret):
                    assert part not in text, f"a secret leaked into {response.request['PATH_INFO']}"
        self.scanned += 1


@pytest.fixture
def leak_log(db: None, caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Secrets registered here must appear in no log record and no admin LogEntry."""
    caplog.set_level(logging.DEBUG)
    watched: list[str] = []
    yield watched
    entries = [f"{e.object_repr} {e.change_message}" for e in LogEntry.objects.all()]
    records = caplog.get_records("setup") + caplog.get_records("call")
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in records)
    for secret in watched:
        for part in secret_parts(secret):
            assert part not in logged
            assert not [entry for entry in entries if part in entry]


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def viewer(db: None) -> User:
    user = User.objects.create_user("viewer", "viewer@example.com", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_setting"))
    return user


def _client(user: User, watched: list[str], **kwargs: Any) -> LeakCheckingClient:
    client = LeakCheckingClient(**kwargs)
    client.secrets = watched  # shared: a secret registered anywhere is checked everywhere
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(superuser: User, leak_log: list[str]) -> LeakCheckingClient:
    return _client(superuser, leak_log)


@pytest.fixture
def viewer_client(viewer: User, leak_log: list[str]) -> LeakCheckingClient:
    return _client(viewer, leak_log)


@pytest.fixture
def canary(leak_log: list[str]) -> str:
    value = make_canary()
    leak_log.append(value)
    return value


@pytest.fixture
def stored(canary: str, superuser: User) -> Setting:
    """An OpenAI key saved through the ORM, as an earlier admin session would have left it."""
    return Setting.objects.create(
        key="openai_api_key",
        value=canary,
        provider="openai",
        description="Production project key",
        created_by=superuser,
        updated_by=superuser,
    )


def form_data(**fields: str) -> dict[str, str]:
    """The POST body of the add/change form, with defaults for the fields not given."""
    data = {"key": "openai_api_key", "provider": "openai", "value": "", "description": ""}
    data["expires_at"] = ""
    data["version"] = "1"  # the version the change form was opened at
    data.update(fields)
    return data


def messages_of(response: Any) -> list[tuple[str, str]]:
    """(level tag, text) of the admin messages shown on a followed response's final page."""
    return [(m.level_tag, str(m)) for m in response.context["messages"]]
