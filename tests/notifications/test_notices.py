"""Notices: each threshold fires once and only once, reruns send nothing, failures retry."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core import mail

from settings_app import audit
from settings_app.models import AuditAction, AuditEvent, Notice
from settings_app.notifications.notices import Outcome, notify_due
from tests.notifications.conftest import START, store

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
EXPIRES = START.date() + 40 * DAY  # 2025-02-10


def sent_subjects() -> list[str]:
    return [str(message.subject) for message in mail.outbox]


def run_days(frozen, days: range) -> dict[int, list[str]]:
    """Run notify_due twice a day (a rerun) through `days`; the subjects sent on each day."""
    sent: dict[int, list[str]] = {}
    for day in days:
        frozen.move_to(START + day * DAY, tick=False)
        before = len(mail.outbox)
        notify_due()
        notify_due()
        if len(mail.outbox) > before:
            sent[day] = sent_subjects()[before:]
    return sent


def test_each_expiry_threshold_fires_once_and_only_once(
    frozen, admin_with_email, webhook, canary
) -> None:
    store("openai_api_key", canary, expires_at=EXPIRES)

    sent = run_days(frozen, range(0, 50))

    assert sent == {
        10: ["[keyvault] openai_api_key expires in 30 days (2025-02-10)"],
        33: ["[keyvault] openai_api_key expires in 7 days (2025-02-10)"],
        39: ["[keyvault] openai_api_key expires tomorrow (2025-02-10)"],
        41: ["[keyvault] openai_api_key expired on 2025-02-10 (1 day ago)"],
    }
    assert [r.json()["keyvault"]["threshold_days"] for r in webhook.received] == [30, 7, 1, 0]
    assert Notice.objects.count() == 8  # four notices, each by e-mail and webhook


def test_a_run_that_missed_a_threshold_sends_only_the_tightest(
    frozen, admin_with_email, canary
) -> None:
    store("openai_api_key", canary, expires_at=START.date() + 5 * DAY)

    notify_due()
    frozen.move_to(START + 2 * DAY, tick=False)
    notify_due()

    assert sent_subjects() == ["[keyvault] openai_api_key expires in 5 days (2025-01-06)"]


def test_a_new_expiry_date_starts_the_reminders_again(frozen, admin_with_email, canary) -> None:
    setting = store("openai_api_key", canary, expires_at=START.date() - DAY)
    notify_due()
    setting.expires_at = START.date() + 20 * DAY
    setting.save()

    notify_due()
    notify_due()

    assert sent_subjects() == [
        "[keyvault] openai_api_key expired on 2024-12-31 (1 day ago)",
        "[keyvault] openai_api_key expires in 20 days (2025-01-21)",
    ]


def test_an_invalid_key_is_noticed_once_per_value(frozen, admin_with_email, canary) -> None:
    setting = store("openai_api_key", canary)
    setting.record_verification("invalid", "HTTP 401: the provider rejected the key.")

    notify_due()
    frozen.move_to(START + DAY, tick=False)
    notify_due()
    assert sent_subjects() == [
        "[keyvault] openai_api_key was refused by the provider when last verified (2025-01-01)"
    ]

    setting.value = canary + "new"  # replaced; the new value is refused too
    setting.save()
    setting.record_verification("invalid", "HTTP 401: the provider rejected the key.")
    notify_due()

    assert len(mail.outbox) == 2


def test_nothing_is_sent_for_keys_that_are_not_due(frozen, admin_with_email, webhook, canary):
    store("fine", canary, expires_at=START.date() + 31 * DAY)
    store("no_date", canary + "x")

    report = notify_due()

    assert (report.planned, mail.outbox, webhook.received) == (0, [], [])


def test_each_notice_is_audited_with_what_was_sent(frozen, admin_with_email, webhook, canary):
    store("openai_api_key", canary, expires_at=START.date() + 7 * DAY)

    notify_due()

    events = AuditEvent.objects.filter(action=AuditAction.NOTICE_SENT).order_by("id")
    assert [(e.setting_key, e.details["channel"], e.details["threshold_days"]) for e in events] == [
        ("openai_api_key", "email", 7),
        ("openai_api_key", "webhook", 7),
    ]
    assert events[0].details["kind"] == "expires_soon"
    assert events[0].details["period"] == "2025-01-08"
    assert audit.verify_chain().ok


def test_a_failed_webhook_rolls_back_its_claim_and_a_later_run_retries(
    frozen, admin_with_email, webhook, canary
) -> None:
    store("openai_api_key", canary, expires_at=START.date() + 7 * DAY)
    webhook.status = 500

    report = notify_due()

    assert [(d.channel, d.outcome) for d in report.deliveries] == [
        ("email", Outcome.SENT),
        ("webhook", Outcome.FAILED),
    ]
    assert "answered HTTP 500" in report.deliveries[1].error
    assert list(Notice.objects.values_list("channel", flat=True)) == ["email"]
    failed = AuditEvent.objects.get(action=AuditAction.NOTICE_FAILED)
    assert failed.details["channel"] == "webhook" and "HTTP 500" in failed.details["reason"]

    webhook.status = 200
    retried = notify_due()

    assert [(d.channel, d.outcome) for d in retried.deliveries] == [
        ("email", Outcome.ALREADY_SENT),
        ("webhook", Outcome.SENT),
    ]
    assert len(mail.outbox) == 1 and len(webhook.received) == 2


def test_a_redirecting_webhook_is_not_followed(frozen, webhook, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date())
    webhook.status = 302

    report = notify_due()

    assert [d.outcome for d in report.deliveries] == [Outcome.FAILED]
    assert len(webhook.received) == 1  # the Location was not visited
    assert Notice.objects.count() == 0


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_mail_server_fails_the_email_and_keeps_it_for_later(
    frozen, settings, admin_with_email, canary
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", unused_port()
    store("openai_api_key", canary, expires_at=START.date())

    (delivery,) = notify_due().deliveries

    assert delivery.outcome == Outcome.FAILED
    assert delivery.error == (
        "The mail server did not take the notice (ConnectionRefusedError); check EMAIL_URL."
    )
    assert Notice.objects.count() == 0


def test_an_unreachable_webhook_names_its_host_never_its_path(frozen, settings, canary) -> None:
    settings.KEYVAULT_NOTIFY_WEBHOOK_URL = f"http://127.0.0.1:{unused_port()}/hooks/SECRETPATH"
    store("openai_api_key", canary, expires_at=START.date())

    (delivery,) = notify_due().deliveries

    assert delivery.error.startswith("The webhook at 127.0.0.1 could not be reached")
    assert "SECRETPATH" not in delivery.error
    event = AuditEvent.objects.get(action=AuditAction.NOTICE_FAILED)
    assert "SECRETPATH" not in str(event.details)


def test_without_any_channel_nothing_is_claimed(frozen, canary) -> None:
    store("openai_api_key", canary, expires_at=START.date())

    report = notify_due()

    assert (report.channels, report.planned, report.deliveries) == ((), 1, [])
    assert Notice.objects.count() == 0  # sent once someone is there to receive it
