"""The run's environment: a temp directory, generated key material, a scratch PostgreSQL database.

Everything is set up before Django starts and torn down afterwards; the bench never touches the
project's own database or a developer's keys.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg

from settings_app.crypto import generate_key

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Environment:
    directory: str
    postgres: str | None  # the Django alias of the scratch database, if PostgreSQL is reachable
    postgres_note: str
    postgres_url: str | None = None  # the server itself, for benchmarks with their own database


def generate_keys() -> dict[str, str]:
    """Fresh bench key material; `primary_old` is the fallback re-encryption moves away from."""
    names = ("primary", "primary_old", "deterministic", "salt", "fernet_salt")
    return {name: generate_key() for name in names}


def _admin_connection(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True, connect_timeout=3)


def _scratch_name() -> str:
    return f"keyvault_bench_{os.getpid()}"


def _export_postgres(url: str, name: str) -> None:
    parts = urlsplit(url)
    os.environ["KEYVAULT_BENCH_PG_NAME"] = name
    os.environ["KEYVAULT_BENCH_PG_USER"] = unquote(parts.username or "")
    os.environ["KEYVAULT_BENCH_PG_PASSWORD"] = unquote(parts.password or "")
    os.environ["KEYVAULT_BENCH_PG_HOST"] = parts.hostname or ""
    os.environ["KEYVAULT_BENCH_PG_PORT"] = str(parts.port or "")


def _create_scratch_database(url: str | None) -> tuple[str | None, str]:
    """Create this run's own database on the server at `url`; (alias or None, note)."""
    if not url:
        return None, "PostgreSQL sections skipped: no server given (--no-postgres)."
    try:
        with _admin_connection(url) as conn:
            conn.execute(f'CREATE DATABASE "{_scratch_name()}"')
    except Exception as error:  # any failure to reach or use the server means "skip"
        host = urlsplit(url).hostname
        return None, f"PostgreSQL sections skipped: {host} not usable ({type(error).__name__})."
    _export_postgres(url, _scratch_name())
    return "postgres", ""


def _drop_scratch_database(url: str) -> None:
    from django.db import connections

    connections.close_all()
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_scratch_name()}" WITH (FORCE)')


@contextmanager
def prepare(postgres_url: str | None) -> Iterator[Environment]:
    """Set up keys, directories and Django; yield the environment; clean everything up."""
    with tempfile.TemporaryDirectory(prefix="keyvault-bench-") as directory:
        os.environ["KEYVAULT_BENCH_DIR"] = directory
        os.makedirs(f"{directory}/static")
        os.environ["KEYVAULT_BENCH_KEYS"] = json.dumps(generate_keys())
        os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
        alias, note = _create_scratch_database(postgres_url)
        try:
            _start_django(alias)
            yield Environment(directory, alias, note, postgres_url if alias else None)
        finally:
            if alias and postgres_url:
                _drop_scratch_database(postgres_url)


def _start_django(postgres: str | None) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    for alias in ("default", postgres):
        if alias:
            call_command("migrate", run_syncdb=True, database=alias, verbosity=0)
