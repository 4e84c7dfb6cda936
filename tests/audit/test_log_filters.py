"""RedactSecretsFilter: envelopes and provider keys never reach a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from settings_app.log_filters import REDACTED, RedactSecretsFilter, redact

OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t" * 2
ENVELOPE = "$kv1$r$3f9a0c1d$q2VxbWVzc2FnZS1ub25jZS1hbmQtdGFn+/AB=="


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("tests.audit.redaction")
    redactor = RedactSecretsFilter()
    log.addFilter(redactor)
    yield log
    log.removeFilter(redactor)


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        (OPENAI, "sk-proj-"),
        ("sk-" + "a1B2c3D4" * 6, "sk-"),
        ("sk-svcacct-" + "Z9y8X7w6" * 5, "sk-svcacct-"),
        ("sk-admin-" + "Q1w2E3r4" * 5, "sk-admin-"),
        ("sk-ant-api03-" + "Mn_Op-Qr" * 10, "sk-ant-api"),
        ("sk-ant-admin01-" + "Mn_Op-Qr" * 10, "sk-ant-admin"),
        ("AIzaSy" + "B7c9D1e3F5g7H9j1K3m5N7p9Q1r", "AIza"),
        ("gsk_" + "Wq4Er6Ty8Ui0" * 4, "gsk_"),
        ("xai-" + "Lk7Jh5Gf3Ds1" * 6, "xai-"),
        ("sk-or-v1-" + "0123456789abcdef" * 4, "sk-or-"),
        (ENVELOPE, "$kv"),
        ("$kv2$d$deadbeef$AAAA", "$kv"),
    ],
)
def test_redact_masks_each_kind_of_secret(secret: str, shown: str) -> None:
    assert redact(f"before {secret}, after") == f"before {shown}{REDACTED}, after"


@pytest.mark.parametrize(
    "harmless",
    ["sk-learn is a library", "task-manager", "risk-assessment-2026", "$k1 cost", "xai-grok"],
)
def test_redact_leaves_ordinary_text_alone(harmless: str) -> None:
    assert redact(harmless) == harmless


def test_secrets_in_arguments_are_redacted(logger, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("stored %s as %s", OPENAI, ENVELOPE)
    assert OPENAI not in caplog.text
    assert ENVELOPE not in caplog.text
    assert caplog.records[0].getMessage() == f"stored sk-proj-{REDACTED} as $kv{REDACTED}"


def test_secrets_in_the_message_and_dict_args_are_redacted(logger, caplog) -> None:
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.warning(f"raw {OPENAI}")
        logger.warning("key %(key)s", {"key": OPENAI})
    assert OPENAI not in caplog.text
    assert caplog.text.count(REDACTED) == 2


def test_secrets_in_tracebacks_are_redacted(logger, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger=logger.name):
        try:
            raise ValueError(f"provider refused {OPENAI}")
        except ValueError:
            logger.exception("verification failed")
    assert "ValueError: provider refused sk-proj-" in caplog.text
    assert OPENAI not in caplog.text


def test_a_broken_format_string_still_hides_its_arguments(logger, caplog) -> None:
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("two %s %s", OPENAI)
    assert OPENAI not in caplog.text
    assert REDACTED in caplog.text


def test_clean_records_keep_their_arguments(logger, caplog) -> None:
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("verified %s in %d ms", "openai_api_key", 42)
    (record,) = caplog.records
    assert (record.msg, record.args) == ("verified %s in %d ms", ("openai_api_key", 42))
