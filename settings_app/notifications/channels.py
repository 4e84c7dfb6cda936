"""Where notices go: e-mail (Django's e-mail framework) and an optional signed webhook.

Both are configured by settings read at call time. The webhook POSTs Slack-compatible JSON (a
`text` field) and signs the raw body: `X-Keyvault-Signature: sha256=<hex HMAC-SHA256 of the
body keyed with KEYVAULT_NOTIFY_WEBHOOK_SECRET>`. Error messages name a host at most, never a
webhook URL (Slack's carry their secret in the path) or a mail password.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage

from ..models import NoticeChannel
from ..roles import KEY_ADMINS
from .wording import NoticeMessage

SIGNATURE_HEADER = "X-Keyvault-Signature"
SIGNATURE_PREFIX = "sha256="
WEBHOOK_TIMEOUT_SECONDS = 10.0


class DeliveryError(Exception):
    """A notice could not be sent; the message says why and is safe to print and audit."""


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, message: NoticeMessage) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    """One e-mail per notice, to every recipient."""

    recipients: tuple[str, ...]
    name: str = NoticeChannel.EMAIL

    def send(self, message: NoticeMessage) -> None:
        mail = EmailMessage(subject=message.subject, body=message.text, to=list(self.recipients))
        try:
            mail.send()
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(
                f"The mail server did not take the notice ({type(error).__name__}); "
                "check EMAIL_URL."
            ) from None


@dataclass(frozen=True)
class WebhookChannel:
    """A JSON POST of the notice's payload, signed when a secret is configured."""

    url: str
    secret: str = ""
    name: str = NoticeChannel.WEBHOOK

    def send(self, message: NoticeMessage) -> None:
        body = json.dumps(message.payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "keyvault-notices"}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(body, self.secret)
        try:
            # Redirects are not followed: the signed body goes only where it was configured to.
            response = httpx.post(
                self.url,
                content=body,
                headers=headers,
                timeout=WEBHOOK_TIMEOUT_SECONDS,
                follow_redirects=False,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise DeliveryError(
                f"The webhook at {self.host} could not be reached ({type(error).__name__}); "
                "check KEYVAULT_NOTIFY_WEBHOOK_URL."
            ) from None
        if not response.is_success:
            raise DeliveryError(f"The webhook at {self.host} answered HTTP {response.status_code}.")

    @property
    def host(self) -> str:
        try:
            return httpx.URL(self.url).host or "(no host)"
        except httpx.InvalidURL:
            return "(an invalid URL)"


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for `body`: "sha256=" and the hex HMAC-SHA256."""
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def configured_channels() -> list[Channel]:
    """E-mail when anyone is to receive it, and the webhook when a URL is set."""
    channels: list[Channel] = []
    recipients = notice_recipients()
    if recipients:
        channels.append(EmailChannel(recipients))
    url = getattr(settings, "KEYVAULT_NOTIFY_WEBHOOK_URL", "")
    if url:
        channels.append(
            WebhookChannel(url, getattr(settings, "KEYVAULT_NOTIFY_WEBHOOK_SECRET", ""))
        )
    return channels


def notice_recipients() -> tuple[str, ...]:
    """Active users in the key admins group with an address, and KEYVAULT_NOTIFY_EMAILS."""
    user_model = get_user_model()
    email_field = user_model.get_email_field_name()
    admins = (
        user_model._default_manager.filter(groups__name=KEY_ADMINS, is_active=True)
        .exclude(**{email_field: ""})
        .values_list(email_field, flat=True)
    )
    return _unique([*admins, *getattr(settings, "KEYVAULT_NOTIFY_EMAILS", [])])


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    """Each address once (case-insensitively), in a stable order."""
    seen: dict[str, str] = {}
    for address in addresses:
        cleaned = address.strip()
        if cleaned:
            seen.setdefault(cleaned.lower(), cleaned)
    return tuple(sorted(seen.values(), key=str.lower))
