"""Throwaway Rails databases for the importer tests: SQLite, PostgreSQL and MariaDB.

Each is created for one test and dropped after it. The tables have the shapes Rails migrations
give them: PromptEngine's `prompt_engine_settings` (one column per key) and a `settings` table
with one key per row.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pymysql
import pytest

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"

# Column types per vendor, as Rails' schema.rb would create them.
TYPES = {
    "sqlite": {"pk": "INTEGER PRIMARY KEY", "text": "TEXT", "json": "JSON", "time": "TEXT"},
    "postgresql": {"pk": "BIGSERIAL PRIMARY KEY", "text": "TEXT", "json": "JSON",
                   "time": "TIMESTAMP(6)"},
    "mariadb": {"pk": "BIGINT AUTO_INCREMENT PRIMARY KEY", "text": "TEXT", "json": "JSON",
                "time": "DATETIME(6)"},
}  # fmt: skip


class RailsDatabase:
    """An open connection to a scratch database, and its URL for `import_rails`."""

    def __init__(self, vendor: str, url: str, connection: Any) -> None:
        self.vendor = vendor
        self.url = url
        self.connection = connection

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        if self.vendor == "sqlite":
            sql = sql.replace("%s", "?")
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        cursor.close()
        self.connection.commit()

    def create_prompt_engine_table(self, name: str = "prompt_engine_settings") -> None:
        t = TYPES[self.vendor]
        self.execute(
            f"CREATE TABLE {name} (id {t['pk']}, openai_api_key {t['text']}, "
            f"anthropic_api_key {t['text']}, preferences {t['json']}, "
            f"created_at {t['time']} NOT NULL, updated_at {t['time']} NOT NULL)"
        )

    def create_row_table(self, name: str = "settings") -> None:
        t = TYPES[self.vendor]
        self.execute(
            f"CREATE TABLE {name} (id {t['pk']}, {self.quote('key')} VARCHAR(100) NOT NULL, "
            f"encrypted_value {t['text']}, created_at {t['time']} NOT NULL, "
            f"updated_at {t['time']} NOT NULL)"
        )

    def insert(self, table: str, **fields: Any) -> None:
        fields = {
            "created_at": "2025-01-01 00:00:00",
            "updated_at": "2025-01-01 00:00:00",
            **fields,
        }
        names = ", ".join(self.quote(name) for name in fields)
        marks = ", ".join(["%s"] * len(fields))
        self.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(fields.values()))

    def quote(self, name: str) -> str:
        return f"`{name}`" if self.vendor == "mariadb" else f'"{name}"'


@contextmanager
def sqlite_database(tmp_path: Path) -> Iterator[RailsDatabase]:
    path = tmp_path / "rails_production.sqlite3"
    connection = sqlite3.connect(path)
    try:
        yield RailsDatabase("sqlite", f"sqlite:///{path}", connection)
    finally:
        connection.close()


def postgres_server() -> str:
    """The server the suite runs on when it runs on PostgreSQL, else the local default."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else DEFAULT_POSTGRES


@contextmanager
def postgres_database() -> Iterator[RailsDatabase]:
    server = postgres_server()
    name = f"importers_rails_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL does not answer at {urlsplit(server).netloc}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        try:
            with psycopg.connect(url) as connection:
                yield RailsDatabase("postgresql", url, connection)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mariadb_connect(**options: Any) -> pymysql.connections.Connection[Any]:
    return pymysql.connect(host="127.0.0.1", port=3306, user="root", password="", **options)


@contextmanager
def mariadb_database() -> Iterator[RailsDatabase]:
    try:
        admin = mariadb_connect(connect_timeout=3, autocommit=True)
    except pymysql.err.OperationalError as error:
        pytest.skip(f"MariaDB does not answer on 127.0.0.1:3306: {error}")
    name = f"importers_rails_{secrets.token_hex(4)}"
    with admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            connection = mariadb_connect(database=name, charset="utf8mb4")
            with connection:
                yield RailsDatabase("mariadb", f"mysql://root@127.0.0.1:3306/{name}", connection)
        finally:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


@contextmanager
def rails_database(vendor: str, tmp_path: Path) -> Iterator[RailsDatabase]:
    if vendor == "sqlite":
        with sqlite_database(tmp_path) as database:
            yield database
    elif vendor == "postgresql":
        with postgres_database() as database:
            yield database
    else:
        with mariadb_database() as database:
            yield database
