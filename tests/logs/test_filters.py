"""RedactSecretsFilter: envelopes and provider keys never reach a log line (what counts as a
secret is tested with redact(), in test_redaction.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from settings_app.logs.filters import RedactSecretsFilter
from settings_app.logs.redaction import REDACTED

OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t" * 2
ENVELOPE = "$kv1$r$3f9a0c1d$q2VxbWVzc2FnZS1ub25jZS1hbmQtdGFn+/AB=="


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("tests.logs.filters")
    redactor = RedactSecretsFilter()
    log.addFilter(redactor)
    yield log
    log.removeFilter(redactor)


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
