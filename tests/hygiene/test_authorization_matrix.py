"""Who may do what: every keyvault role against every admin URL and action, in one table.

Each cell is the exact status a role gets. An allowed write must take effect; anything else
(a refusal, a read, a login redirect) must leave the database exactly as it was. Refused
bulk actions are not 403s in Django's admin: an action the user lacks is simply not offered
(the list re-renders, or redirects with "No action selected"), so the database check is what
proves the refusal there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry

from settings_app.models import (
    AuditAction,
    AuditEvent,
    Setting,
    SettingVersion,
    VerificationStatus,
)
from settings_app.providers import classification
from settings_app.providers import client as provider_client
from tests.hygiene.conftest import AUDIT, LOGIN, PASSWORD, REASON, SETTINGS, client_for
from tests.support.reveal_helpers import once_token

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "nogroup", "viewer", "editor", "key_admin", "superuser")
NEW_KEY = "anthropic_api_key"


@dataclass(frozen=True)
class Endpoint:
    """A request to make; `done` says whether an allowed request had its effect."""

    method: str
    path: str  # "{pk}" is the setting, "{event}" an audit event
    data: dict[str, Any] = field(default_factory=dict)
    done: Callable[[Setting], bool] | None = None


def _gone(setting: Setting) -> bool:
    return not Setting.objects.filter(pk=setting.pk).exists()


def _restored(setting: Setting) -> bool:
    return Setting.objects.get(pk=setting.pk).version == 3


def _destroyed(setting: Setting) -> bool:
    return SettingVersion.objects.get(setting=setting, version=1).is_destroyed


def _verified(setting: Setting) -> bool:
    setting.refresh_from_db()
    return setting.verification_status == VerificationStatus.VALID


FORM = {"provider": "openai", "description": "", "expires_at": ""}
ENDPOINTS: dict[str, Endpoint] = {
    "list": Endpoint("get", SETTINGS),
    "add form": Endpoint("get", SETTINGS + "add/"),
    "add": Endpoint(
        "post",
        SETTINGS + "add/",
        {**FORM, "key": NEW_KEY, "provider": "anthropic", "value": "sk-ant-api03-" + "a1" * 20},
        lambda s: Setting.objects.filter(key=NEW_KEY).exists(),
    ),
    "change form": Endpoint("get", SETTINGS + "{pk}/change/"),
    "change": Endpoint(
        "post",
        SETTINGS + "{pk}/change/",
        {**FORM, "key": "openai_api_key", "value": "", "description": "edited", "version": "2"},
        lambda s: Setting.objects.get(pk=s.pk).description == "edited",
    ),
    "delete form": Endpoint("get", SETTINGS + "{pk}/delete/"),
    "delete": Endpoint("post", SETTINGS + "{pk}/delete/", {"post": "yes"}, _gone),
    "history": Endpoint("get", SETTINGS + "{pk}/history/"),
    "verify": Endpoint("post", SETTINGS + "{pk}/verify/", {}, _verified),
    "reveal form": Endpoint("get", SETTINGS + "{pk}/reveal/"),
    "reveal": Endpoint(
        "post",
        SETTINGS + "{pk}/reveal/",
        {"password": PASSWORD, "reason": REASON},
        lambda s: AuditEvent.objects.filter(action=AuditAction.REVEALED).exists(),
    ),
    "bulk verify": Endpoint(
        "post",
        SETTINGS,
        {"action": "verify_selected", "_selected_action": "{pk}", "index": "0"},
        _verified,
    ),
    "bulk delete": Endpoint(
        "post",
        SETTINGS,
        {"action": "delete_selected", "_selected_action": "{pk}", "post": "yes"},
        _gone,
    ),
    "versions": Endpoint("get", SETTINGS + "{pk}/versions/"),
    "restore form": Endpoint("get", SETTINGS + "{pk}/versions/1/restore/"),
    "restore": Endpoint(
        "post", SETTINGS + "{pk}/versions/1/restore/", {"opened_at": "2"}, _restored
    ),
    "destroy form": Endpoint("get", SETTINGS + "{pk}/versions/1/destroy/"),
    "destroy": Endpoint("post", SETTINGS + "{pk}/versions/1/destroy/", {}, _destroyed),
    "audit list": Endpoint("get", AUDIT),
    "audit view": Endpoint("get", AUDIT + "{event}/change/"),
    "audit change": Endpoint("post", AUDIT + "{event}/change/", {"setting_key": "forged"}),
    "audit add form": Endpoint("get", AUDIT + "add/"),
    "audit add": Endpoint("post", AUDIT + "add/", {"setting_key": "forged"}),
    "audit delete form": Endpoint("get", AUDIT + "{event}/delete/"),
    "audit delete": Endpoint("post", AUDIT + "{event}/delete/", {"post": "yes"}),
}

# Endpoint -> status per role, in ROLES order (anonymous's 302 goes to the login page).
EXPECTED: dict[str, tuple[int, ...]] = {
    #                    anon nogroup viewer editor keyadm super
    "list": (302, 403, 200, 200, 200, 200),
    "add form": (302, 403, 403, 200, 200, 200),
    "add": (302, 403, 403, 302, 302, 302),
    "change form": (302, 403, 200, 200, 200, 200),
    "change": (302, 403, 403, 302, 302, 302),
    "delete form": (302, 403, 403, 403, 200, 200),
    "delete": (302, 403, 403, 403, 302, 302),
    "history": (302, 403, 200, 200, 200, 200),
    "verify": (302, 403, 403, 302, 302, 302),
    "reveal form": (302, 403, 403, 403, 200, 200),
    "reveal": (302, 403, 403, 403, 200, 200),
    # A viewer is offered no action at all (the list re-renders); an editor lacks delete
    # (redirect, "No action selected"). Only the database check can tell these from success.
    "bulk verify": (302, 403, 200, 302, 302, 302),
    "bulk delete": (302, 403, 200, 302, 302, 302),
    # Versions: everyone who sees a key sees its history; only key admins restore or destroy.
    "versions": (302, 403, 200, 200, 200, 200),
    "restore form": (302, 403, 403, 403, 200, 200),
    "restore": (302, 403, 403, 403, 302, 302),
    "destroy form": (302, 403, 403, 403, 200, 200),
    "destroy": (302, 403, 403, 403, 302, 302),
    "audit list": (302, 403, 403, 403, 200, 200),
    "audit view": (302, 403, 403, 403, 200, 200),
    "audit change": (302, 403, 403, 403, 403, 403),
    "audit add form": (302, 403, 403, 403, 403, 403),
    "audit add": (302, 403, 403, 403, 403, 403),
    "audit delete form": (302, 403, 403, 403, 403, 403),
    "audit delete": (302, 403, 403, 403, 403, 403),
}

# Role -> the writes it may make; every other write must change nothing.
ALLOWED_WRITES: dict[str, frozenset[str]] = {
    "anonymous": frozenset(),
    "nogroup": frozenset(),
    "viewer": frozenset(),
    "editor": frozenset({"add", "change", "verify", "bulk verify"}),
    "key_admin": frozenset(
        {"add", "change", "verify", "bulk verify", "delete", "bulk delete", "reveal"}
        | {"restore", "destroy"}
    ),
    "superuser": frozenset(
        {"add", "change", "verify", "bulk verify", "delete", "bulk delete", "reveal"}
        | {"restore", "destroy"}
    ),
}

CASES = [
    pytest.param(role, name, EXPECTED[name][i], id=f"{role}-{name}")
    for name in ENDPOINTS
    for i, role in enumerate(ROLES)
]


@pytest.fixture(autouse=True)
def _provider_says_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verification without a network: every key checks out."""
    valid = classification.VerificationResult(VerificationStatus.VALID, "HTTP 200: ok.")
    monkeypatch.setattr(provider_client, "check_key", lambda *args, **kwargs: valid)


@pytest.fixture
def setting(db: None) -> Setting:
    Setting.objects.set_value("openai_api_key", "sk-proj-" + "Zq3" * 12)
    return Setting.objects.set_value("openai_api_key", "sk-proj-" + "Zq4" * 12)  # version 2


def snapshot() -> tuple[list[Any], list[Any], int, list[Any]]:
    """Every setting's visible state, the audit trail bar refusals, and the admin log size."""
    settings = list(
        Setting.objects.order_by("pk").values_list(
            "pk", "key", "provider", "description", "value_fingerprint",
            "verification_status", "last_verified_at", "updated_at",
        )
    )  # fmt: skip
    # A refused reveal is audited by design; nothing else may be written by a refusal.
    trail = list(
        AuditEvent.objects.exclude(action=AuditAction.REVEAL_REFUSED)
        .order_by("pk")
        .values_list("pk", "action", "hash")
    )
    versions = list(
        SettingVersion.objects.order_by("pk").values_list("pk", "value_fingerprint", "destroyed_at")
    )
    return settings, trail, LogEntry.objects.count(), versions


def fill(template: str, setting: Setting, event: AuditEvent) -> str:
    return template.format(pk=setting.pk, event=event.pk)


@pytest.mark.parametrize(("role", "name", "status"), CASES)
def test_role_gets_exactly_the_expected_answer(
    role: str, name: str, status: int, setting: Setting
) -> None:
    endpoint = ENDPOINTS[name]
    event = AuditEvent.objects.latest()
    client = client_for(role)
    data = {key: fill(value, setting, event) for key, value in endpoint.data.items()}
    if name == "reveal":  # the form's one-time token, as a browser would send it
        data["once"] = once_token(client, fill(endpoint.path, setting, event))
    before = snapshot()

    response = getattr(client, endpoint.method)(fill(endpoint.path, setting, event), data)

    assert response.status_code == status
    if status == 302:
        to_login = response["Location"].startswith(LOGIN)
        assert to_login == (role == "anonymous")
    if name in ALLOWED_WRITES[role]:
        assert endpoint.done is not None and endpoint.done(setting)
    else:
        assert snapshot() == before


def test_the_table_covers_every_role_and_endpoint() -> None:
    assert set(EXPECTED) == set(ENDPOINTS)
    assert all(len(row) == len(ROLES) for row in EXPECTED.values())
    assert all(writes <= set(ENDPOINTS) for writes in ALLOWED_WRITES.values())


def test_the_policy_in_words() -> None:
    """The table read back as the policy: viewers read, editors write, key admins do all."""
    allowed = {
        role: {name for name, row in EXPECTED.items() if row[i] in (200, 302)}
        for i, role in enumerate(ROLES)
        if role != "anonymous"
    }
    assert allowed["nogroup"] == set()
    assert {"list", "change form", "history"} <= allowed["viewer"]
    assert not {"reveal", "reveal form", "audit list", "delete"} & allowed["editor"]
    assert not {"restore", "restore form", "destroy"} & allowed["editor"]
    assert "versions" in allowed["viewer"]
    assert {"reveal", "audit list", "audit view", "delete"} <= allowed["key_admin"]
    assert allowed["superuser"] == allowed["key_admin"]
    for role in allowed:
        assert not {"audit change", "audit add", "audit delete"} & allowed[role]
