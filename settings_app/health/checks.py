"""The readiness checks: each answers "ok" or a fixed word for what is wrong, never a detail.

A value, a key, a key id or an exception's text never leaves here: /readyz is unauthenticated.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from ..crypto import EncryptionError
from ..key_check.service import check_keys

OK = "ok"
logger = logging.getLogger(__name__)


def database() -> str:
    """The default database answers a query."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def migrations() -> str:
    """Every migration the code ships is applied."""
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return OK if not plan else "unapplied migrations"


def keys() -> str:
    """The configured keys are the ones that wrote the data (the key-check record)."""
    try:
        result = check_keys()
    except EncryptionError:
        return "keys not usable"
    return "keys do not match the data" if result.is_problem else OK


def cache_round_trip() -> str:
    """The default cache stores and returns a value."""
    probe = f"keyvault:readyz:{uuid.uuid4().hex}"
    cache.set(probe, "1", timeout=10)
    answered = cache.get(probe) == "1"
    cache.delete(probe)
    return OK if answered else "cache did not return what was stored"


CHECKS: dict[str, Callable[[], str]] = {
    "database": database,
    "migrations": migrations,
    "keys": keys,
    "cache": cache_round_trip,
}


def run_checks() -> dict[str, str]:
    """Each check's answer; a check that raises is "unavailable" (the error goes to the log)."""
    answers = {}
    for name, check in CHECKS.items():
        try:
            answers[name] = check()
        except Exception:
            # A warning, not an error: it repeats every poll, and errors mail ADMINS.
            logger.warning("Readiness check %s failed", name, exc_info=True)
            answers[name] = "unavailable"
    return answers
