"""The encrypted values in a Rails app's settings table, read from its database or from an export.

Databases: PostgreSQL (psycopg), SQLite (sqlite3) and MySQL/MariaDB (PyMySQL), opened read-only.
Exports: CSV with a header row, or JSON Lines (one object per line). Two table layouts:

- rows: one setting per row, its name in `key` and its ciphertext in `encrypted_value`;
- columns: one column per key, as PromptEngine's `prompt_engine_settings` has
  (`openai_api_key`, `anthropic_api_key`); by default every `*_api_key`, `*_token` and
  `*_secret` column.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
import psycopg
import pymysql

from .errors import SourceError
from .names import looks_like_secret, setting_key_for

DEFAULT_TABLE = "prompt_engine_settings"
NAME_COLUMN = "key"
VALUE_COLUMN = "encrypted_value"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})


class Layout(StrEnum):
    AUTO = "auto"
    ROWS = "rows"
    COLUMNS = "columns"


@dataclass(frozen=True)
class SourceRow:
    where: str  # "id=3", "line 4"
    fields: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class SourceTable:
    label: str  # the table or file name, for reports
    columns: tuple[str, ...]
    rows: list[SourceRow]


@dataclass(frozen=True)
class EncryptedValue:
    """One stored value: the setting name it becomes and its text as Rails stored it."""

    name: str
    text: str | None = field(repr=False)
    source: str
    problem: str = ""


# --- databases -------------------------------------------------------------------------------

Connector = Callable[[dict[str, Any]], Any]


def read_database(url: str, table: str) -> SourceTable:
    """Every row of `table` in the database at `url`, read in one read-only transaction."""
    connect, quote = _driver(url)
    parts = environ.Env.db_url_config(url)
    query = f"SELECT * FROM {'.'.join(quote(part) for part in _identifier(table))}"  # noqa: S608 - validated identifiers
    try:
        with closing(connect(parts)) as connection, closing(connection.cursor()) as cursor:
            cursor.execute(query)
            columns = tuple(str(column[0]) for column in cursor.description)
            fetched = cursor.fetchall()
    except (sqlite3.Error, psycopg.Error, pymysql.Error) as error:
        raise SourceError(f"Cannot read {table} from {describe_url(url)}: {error}") from None
    rows = [dict(zip(columns, values, strict=True)) for values in fetched]
    return SourceTable(table, columns, _located(rows, "id" in columns))


def describe_url(url: str) -> str:
    """`url` without its password, for messages and the audit trail."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _driver(url: str) -> tuple[Connector, Callable[[str], str]]:
    scheme = urlsplit(url).scheme.lower()
    for schemes, connect, quote in _DRIVERS:
        if scheme in schemes:
            return connect, quote
    raise SourceError(
        f"Unsupported database URL scheme {scheme!r}: use postgres://, mysql:// (MariaDB too) "
        "or sqlite:////absolute/path.db."
    )


def _identifier(table: str) -> list[str]:
    parts = table.split(".")
    if len(parts) > 2 or not all(_IDENTIFIER.fullmatch(part) for part in parts):
        raise SourceError(
            f"{table!r} is not a table name: use letters, digits and '_', optionally schema.table."
        )
    return parts


def _connect_sqlite(parts: dict[str, Any]) -> sqlite3.Connection:
    path = Path(parts["NAME"])
    if not path.is_file():
        raise SourceError(f"There is no SQLite database at {path}.")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _connect_postgres(parts: dict[str, Any]) -> psycopg.Connection[Any]:
    options = {
        "dbname": parts["NAME"],
        "user": parts["USER"],
        "password": parts["PASSWORD"],  # absent: libpq reads PGPASSWORD or ~/.pgpass
        "host": parts["HOST"],
        "port": parts["PORT"],
        **parts.get("OPTIONS", {}),
    }
    connection = psycopg.connect(
        **{name: value for name, value in options.items() if value not in ("", None)}
    )
    connection.read_only = True  # the importer never writes to the Rails database
    return connection


def _connect_mysql(parts: dict[str, Any]) -> pymysql.connections.Connection[Any]:
    connection = pymysql.connect(
        host=parts["HOST"] or "localhost",
        port=int(parts["PORT"] or 3306),
        user=parts["USER"] or None,
        password=parts["PASSWORD"] or "",
        database=parts["NAME"],
        charset="utf8mb4",
    )
    with connection.cursor() as cursor:
        cursor.execute("START TRANSACTION READ ONLY")
    return connection


def _double_quoted(name: str) -> str:
    return f'"{name}"'


def _backquoted(name: str) -> str:
    return f"`{name}`"


_DRIVERS: tuple[tuple[frozenset[str], Connector, Callable[[str], str]], ...] = (
    (frozenset({"postgres", "postgresql", "pgsql"}), _connect_postgres, _double_quoted),
    (frozenset({"sqlite", "sqlite3"}), _connect_sqlite, _double_quoted),
    (frozenset({"mysql", "mysql2", "mariadb", "trilogy"}), _connect_mysql, _backquoted),
)


# --- exports ---------------------------------------------------------------------------------


def read_export(path: Path) -> SourceTable:
    """The rows of a CSV (with a header row) or JSON Lines export of the settings table."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"Cannot read {path}: {error}") from None
    if path.suffix.lower() in JSON_LINES_SUFFIXES or text.lstrip().startswith("{"):
        return _json_lines(path.name, text)
    return _csv(path.name, text)


def _csv(label: str, text: str) -> SourceTable:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise SourceError(f"{label} is empty; export the table with a header row.")
    rows = []
    for record in reader:
        # An empty CSV field is how psql and sqlite3 write NULL.
        fields = {name: value or None for name, value in record.items() if name is not None}
        rows.append(SourceRow(f"line {reader.line_num}", fields))
    return SourceTable(label, tuple(reader.fieldnames), rows)


def _json_lines(label: str, text: str) -> SourceTable:
    rows, columns = [], dict[str, None]()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            raise SourceError(f"{label} line {number} is not a JSON object: one row per line.")
        columns.update(dict.fromkeys(record))
        rows.append(SourceRow(f"line {number}", record))
    return SourceTable(label, tuple(columns), rows)


def _located(rows: Iterable[dict[str, Any]], by_id: bool) -> list[SourceRow]:
    if by_id:
        ordered = sorted(rows, key=lambda row: (row["id"] is None, str(row["id"]).zfill(20)))
        return [SourceRow(f"id={row['id']}", row) for row in ordered]
    return [SourceRow(f"row {number}", row) for number, row in enumerate(rows, start=1)]


# --- layouts ---------------------------------------------------------------------------------


def encrypted_values(
    table: SourceTable, *, layout: Layout = Layout.AUTO, columns: Sequence[str] = ()
) -> list[EncryptedValue]:
    """The values to import from `table`, laid out as rows or columns (detected by default)."""
    if _resolve(table, layout, columns) is Layout.ROWS:
        return _from_rows(table, columns)
    return _from_columns(table, columns)


def _resolve(table: SourceTable, layout: Layout, columns: Sequence[str]) -> Layout:
    if layout is not Layout.AUTO:
        return layout
    value_column = columns[0] if len(columns) == 1 else VALUE_COLUMN
    if NAME_COLUMN in table.columns and value_column in table.columns:
        return Layout.ROWS
    return Layout.COLUMNS


def _from_rows(table: SourceTable, columns: Sequence[str]) -> list[EncryptedValue]:
    if len(columns) > 1:
        raise SourceError("The row layout reads one value column; give --column once.")
    value_column = columns[0] if columns else VALUE_COLUMN
    _require(table, [NAME_COLUMN, value_column])
    values = []
    for row in table.rows:
        source = f"{table.label} {row.where}"
        name, problem = _text(row.fields[NAME_COLUMN])
        text, value_problem = _text(row.fields[value_column])
        problem = problem or value_problem or ("" if name else f"its {NAME_COLUMN} is empty")
        values.append(EncryptedValue(setting_key_for(name or ""), text, source, problem))
    return values


def _from_columns(table: SourceTable, columns: Sequence[str]) -> list[EncryptedValue]:
    chosen = list(columns) or [column for column in table.columns if looks_like_secret(column)]
    if not chosen:
        raise SourceError(
            f"{table.label} has no *_api_key, *_token or *_secret column (it has "
            f"{', '.join(table.columns)}); name the columns to import with --column."
        )
    _require(table, chosen)
    values = []
    for row in table.rows:
        for column in chosen:
            text, problem = _text(row.fields.get(column))
            source = f"{table.label} {row.where}, column {column}"
            values.append(EncryptedValue(setting_key_for(column), text, source, problem))
    return values


def _require(table: SourceTable, needed: Iterable[str]) -> None:
    missing = [column for column in needed if column not in table.columns]
    if missing:
        raise SourceError(
            f"{table.label} has no column {', '.join(missing)}; its columns are "
            f"{', '.join(table.columns)}. Choose with --table, --column or --layout."
        )


def _text(value: Any) -> tuple[str | None, str]:
    """A stored value as text, or a problem; JSON columns come back as objects."""
    if value is None or isinstance(value, str):
        return value, ""
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return bytes(value).decode("utf-8"), ""
        except UnicodeDecodeError:
            return None, "it is binary, not text (a MessagePack-serialized value?)"
    if isinstance(value, dict | list):
        return json.dumps(value), ""
    return str(value), ""
