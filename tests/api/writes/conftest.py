"""Write-API fixtures: the real API on live_server, tokens with a write scope, an httpx client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from django.apps import apps
from django.contrib.auth.models import User

from settings_app import roles
from settings_app.api import services
from settings_app.models import Setting
from tests.support.role_users import make_user

OPENAI_V1 = "sk-proj-" + "Wr1teTest0Lm8Tv2Xc6Rb0Nw3Hd7Ja1Ke" * 2
OPENAI_V2 = "sk-proj-" + "Wr1teTest2Qz4Lm8Tv2Xc6Rb0Nw3Hd7Ja" * 2
OPENAI_V3 = "sk-proj-" + "Wr1teTest3Pu9Gs5Ke1Ja7Hd3Nw0Rb6Xc" * 2


@dataclass
class WriteAPI:
    """The live server, and a factory of httpx clients carrying a token."""

    url: str
    tokens: dict[str, str] = field(default_factory=dict, repr=False)

    def client(self, name: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[name]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture
def key_admin_user(transactional_db: None) -> User:
    roles.sync_roles(apps)  # a transactional test starts without the migrations' groups
    return make_user("kim", roles.KEY_ADMINS)


@pytest.fixture
def write_api(live_server: Any, key_admin_user: User) -> WriteAPI:
    """openai_api_key at version 1; tokens: `writer` (openai_* read and write, made by a key
    admin), `reader` (read only), `orphan` (write scope, no creator)."""
    Setting.objects.set_value("openai_api_key", OPENAI_V1)
    api = WriteAPI(live_server.url)
    made: dict[str, dict[str, Any]] = {
        "writer": {"write_scope": ["openai_*"], "created_by": key_admin_user},
        "reader": {"created_by": key_admin_user},
        "orphan": {"write_scope": ["openai_*"]},
    }
    for name, options in made.items():
        api.tokens[name] = services.create_token(name, ["openai_*"], **options).secret
    return api


def value_of(key: str) -> str | None:
    found = Setting.objects.filter(key=key).first()
    return None if found is None else str(found.value)
