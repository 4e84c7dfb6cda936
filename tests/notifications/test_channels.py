"""Channels: the signed webhook as a receiver sees it, e-mail recipients, and no value anywhere."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import textwrap

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail

from settings_app import roles
from settings_app.models import AuditEvent, Notice, Setting
from settings_app.notifications.channels import notice_recipients
from settings_app.notifications.notices import notify_due
from tests.conftest import ROOT
from tests.notifications.conftest import START, WEBHOOK_SECRET, assert_no_secret, store

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def expected_signature(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """What a receiver computes, independently of keyvault's code."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_webhook_gets_signed_slack_compatible_json(frozen, webhook, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date() + 7 * DAY)

    notify_due()

    (received,) = webhook.received
    assert received.path.endswith("/hook-path-secret")
    assert received.headers["content-type"] == "application/json"
    signature = received.headers["x-keyvault-signature"]
    assert hmac.compare_digest(signature, expected_signature(received.body))
    payload = received.json()
    assert payload["text"] == (
        "keyvault: openai_api_key expires in 7 days (2025-01-08). What to do: create a new key "
        "at the provider and replace this one before then."
    )
    assert payload["keyvault"] == {
        "setting": "openai_api_key",
        "provider": "openai",
        "mask": f"sk-proj-…{canary[-4:]}",
        "kind": "expires_soon",
        "threshold_days": 7,
        "expires_at": "2025-01-08",
        "reason": "expiring",
        "sent_at": "2025-01-01T09:00:00+00:00",
    }


def test_the_signature_covers_every_byte_of_the_body(frozen, webhook, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date())
    notify_due()
    (received,) = webhook.received
    signature = received.headers["x-keyvault-signature"]

    tampered = received.body.replace(b"openai_api_key", b"openai_api_kez", 1)
    assert tampered != received.body
    assert not hmac.compare_digest(signature, expected_signature(tampered))
    assert not hmac.compare_digest(signature, expected_signature(received.body, "wrong secret"))


def test_the_secret_is_read_when_sending(frozen, settings, webhook, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date())
    settings.KEYVAULT_NOTIFY_WEBHOOK_SECRET = "rotated-secret-9876543210"

    notify_due()

    (received,) = webhook.received
    assert received.headers["x-keyvault-signature"] == expected_signature(
        received.body, "rotated-secret-9876543210"
    )


def test_without_a_secret_the_webhook_is_sent_unsigned(frozen, settings, webhook, canary) -> None:
    settings.KEYVAULT_NOTIFY_WEBHOOK_SECRET = ""
    store("openai_api_key", canary, expires_at=START.date())

    notify_due()

    (received,) = webhook.received
    assert "x-keyvault-signature" not in received.headers


def test_recipients_are_key_admins_with_an_address_and_the_configured_list(
    settings, admin_with_email
) -> None:
    admins = Group.objects.get(name=roles.KEY_ADMINS)
    for name, email, active in (("no_mail", "", True), ("gone", "gone@example.com", False)):
        User.objects.create_user(name, email, "pw", is_active=active).groups.add(admins)
    editor = User.objects.create_user("eddie", "eddie@example.com", "pw")
    editor.groups.add(Group.objects.get(name=roles.EDITORS))
    settings.KEYVAULT_NOTIFY_EMAILS = ["ops@example.com", "KIM@example.com"]

    assert notice_recipients() == ("kim@example.com", "ops@example.com")


def test_the_email_goes_to_every_recipient_from_the_default_sender(
    frozen, settings, admin_with_email, canary
) -> None:
    settings.KEYVAULT_NOTIFY_EMAILS = ["ops@example.com"]
    settings.DEFAULT_FROM_EMAIL = "keyvault@example.com"
    store("openai_api_key", canary, expires_at=START.date() - DAY)

    notify_due()

    (message,) = mail.outbox
    assert message.to == ["kim@example.com", "ops@example.com"]
    assert message.from_email == "keyvault@example.com"
    assert message.body == (
        f"openai_api_key (OpenAI, sk-proj-…{canary[-4:]}) expired on 2024-12-31 (1 day ago).\n"
        "What to do: create a new key at the provider, replace this one and set its new "
        "expiry date.\n"
    )


def test_no_notice_holds_the_value(frozen, settings, admin_with_email, webhook) -> None:
    """Every kind of notice, through every channel, and every record of it: masks only."""
    secrets = {}
    for key, fields in {
        "expiring_key": {"expires_at": START.date() + DAY},
        "expired_key": {"expires_at": START.date() - DAY},
        "refused_key": {},
    }.items():
        secrets[key] = f"sk-proj-CANARY-{key}-{hashlib.sha256(key.encode()).hexdigest()[:24]}"
        store(key, secrets[key], **fields)
    Setting.objects.get(key="refused_key").record_verification("invalid", "HTTP 401")

    notify_due()

    assert len(mail.outbox) == 3 and len(webhook.received) == 3
    seen = [f"{m.subject}\n{m.body}\n{m.to}" for m in mail.outbox]
    seen += [f"{r.headers}\n{r.body.decode()}" for r in webhook.received]
    seen += [str(e.details) for e in AuditEvent.objects.all()]
    seen += [f"{n.period} {n.kind} {n}" for n in Notice.objects.all()]
    for text in seen:
        assert_no_secret(text, *secrets.values(), where="a notice or its record")
    for key, secret in secrets.items():
        assert any(f"sk-proj-…{secret[-4:]}" in text and key in text for text in seen)


def readme_receiver_check():
    """The signature check the README gives receivers, as printed there."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(\s*import hashlib, hmac\n.*?)```", readme, re.S)
    assert block is not None, "the README lost its signature example"
    namespace: dict = {}
    exec(textwrap.dedent(block.group(1)), namespace)  # noqa: S102  (our own README)
    return namespace["is_from_keyvault"]


def test_the_readmes_receiver_code_accepts_real_notices_only(frozen, webhook, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date())
    notify_due()
    (received,) = webhook.received
    is_from_keyvault = readme_receiver_check()
    header = received.headers["x-keyvault-signature"]

    assert is_from_keyvault(received.body, header, WEBHOOK_SECRET)
    assert not is_from_keyvault(received.body + b" ", header, WEBHOOK_SECRET)
    assert not is_from_keyvault(received.body, header, "another secret")
