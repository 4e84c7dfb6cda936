"""audit.record(): who, from where, and details that never carry a secret."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import RequestFactory

from settings_app import audit
from settings_app.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db
ENVELOPE = "$kv1$r$3f9a0c1d$q2VxbWVzc2FnZS1ub25jZS1hbmQtdGFn"
API_KEY = "sk-ant-api03-" + "x7Yq" * 20


def test_a_request_gives_the_actor_ip_and_user_agent() -> None:
    user = User.objects.create_user("alice")
    request = RequestFactory().get(
        "/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400
    )
    request.user = user
    event = audit.record(AuditAction.VERIFIED, setting_key="openai_api_key", request=request)
    event = AuditEvent.objects.get(pk=event.pk)
    assert (event.actor, event.actor_label, event.ip) == (user, "alice", "203.0.113.7")
    assert event.user_agent.startswith("Mozilla/5.0 ")
    assert len(event.user_agent) == 255


def test_forwarded_for_headers_are_not_trusted() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66"
    )
    request.user = AnonymousUser()
    event = audit.record(AuditAction.LOGIN_LOCKED_OUT, request=request, username="mallory")
    assert (event.ip, event.actor, event.actor_label) == ("10.0.0.2", None, "")


def test_a_request_without_a_user_records_no_actor() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="::1")
    event = audit.record(AuditAction.EXPORTED, request=request)
    assert (event.actor, event.ip) == (None, "::1")


def test_a_command_names_itself() -> None:
    event = audit.record(
        AuditAction.REENCRYPTED, actor_label="manage.py reencrypt", source="command", rows=12
    )
    assert (event.actor_label, event.source, event.details) == (
        "manage.py reencrypt",
        "command",
        {"rows": 12},
    )


@pytest.mark.parametrize("key", ["value", "Value", "plaintext", "ciphertext", "password"])
def test_details_never_accept_a_value_like_key(key: str) -> None:
    details: dict[str, Any] = {key: "anything"}
    with pytest.raises(ValueError, match="must never hold"):
        audit.record(AuditAction.UPDATED, **details)
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("secret", [ENVELOPE, API_KEY, f"reason: rotating {API_KEY} today"])
def test_secrets_in_details_and_user_agent_are_masked(secret: str) -> None:
    request = RequestFactory().get("/", HTTP_USER_AGENT=secret)
    request.user = AnonymousUser()
    event = audit.record(AuditAction.REVEALED, request=request, reason=secret, old=[secret])
    stored = AuditEvent.objects.filter(pk=event.pk).values_list("details", "user_agent").get()
    assert "[REDACTED]" in str(stored)
    assert ENVELOPE not in str(stored)
    assert API_KEY not in str(stored)


@pytest.mark.parametrize("bad", [{"nested": "dict"}, b"bytes", float("nan"), object()])
def test_details_are_short_scalars_only(bad: Any) -> None:
    with pytest.raises(TypeError, match="must be a string or a number"):
        audit.record(AuditAction.UPDATED, detail=bad)


def test_long_detail_strings_are_cut() -> None:
    event = audit.record(AuditAction.UPDATED, note="n" * 5000)
    assert len(event.details["note"]) == audit.MAX_DETAIL_LENGTH


def test_unknown_actions_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit.record("exfiltrated")
