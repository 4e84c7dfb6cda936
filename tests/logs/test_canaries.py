"""Canaries: a provider key, a service token and a stored ciphertext, logged through every
logger the app has (message, arguments, `extra=` fields, traceback), in both formats, never
reach a log line or an error mail."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from typing import Any

import pytest
from django.core import mail

import settings_app
from settings_app.api import tokens
from settings_app.models import Setting
from tests.admin.conftest import make_canary
from tests.support.unreadable_rows import raw_value

pytestmark = pytest.mark.django_db


def every_logger() -> list[logging.Logger]:
    """Every logger of every module of the app (each imported first), Django's, and the root."""
    for module in pkgutil.walk_packages(settings_app.__path__, "settings_app."):
        if ".migrations." not in module.name:
            importlib.import_module(module.name)
    manager = logging.Logger.manager
    named = [logging.getLogger(name) for name, logger in list(manager.loggerDict.items())
             if isinstance(logger, logging.Logger)]  # fmt: skip
    return [logging.getLogger(), *named]


def reaches_console(logger: logging.Logger) -> bool:
    current: logging.Logger | None = logger
    while current is not None:
        if any(handler.get_name() == "console" for handler in current.handlers):
            return True
        current = current.parent if current.propagate else None
    return False


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_no_secret_reaches_any_log_line_or_mail(console: Any, log_format: str) -> None:
    key = make_canary()
    token = tokens.generate()
    envelope = raw_value(Setting.objects.create(key="canary_key", value=make_canary()))
    loggers = every_logger()
    assert {"django.request", "keyvault.access", "settings_app.health.checks"} <= {
        logger.name for logger in loggers
    }
    captured = console(log_format)
    for logger in loggers:
        try:
            raise RuntimeError(f"provider said: invalid key {key} / {token}")
        except RuntimeError:
            extra = {"note": f"{key} {token}", "payload": {"nested": envelope}}
            logger.error("marker[%s] %s %s %s", logger.name, key, token, envelope,
                         exc_info=True, extra=extra)  # fmt: skip
    written = captured.text + "".join(str(m.message()) for m in mail.outbox)
    for logger in loggers:
        if reaches_console(logger):
            assert f"marker[{logger.name}]" in captured.text  # the line was written...
    for secret in (key, token, envelope):
        assert secret not in written  # ...without the secret
        assert secret[8:-4] not in written
