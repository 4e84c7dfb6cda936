"""Refuse to start a second key set beside data the first one wrote (a lost `.env`).

New keys can never open what old keys sealed: writing them would leave every value unreadable,
every service token refused and the audit trail reported as forged.
"""

from __future__ import annotations

from django.apps import apps
from django.db import DatabaseError, connections

from .models import KeyCheck
from .service import RECORD_PK

START_OVER_FLAG = "--start-over"


class ExistingDataError(Exception):
    """The database holds data written under other keys; the message says what to restore."""


def existing_data(using: str = "default") -> list[str]:
    """What the database already holds under some key set: empty if nothing (or no tables)."""
    try:
        tables = set(connections[using].introspection.table_names())
        found = []
        if KeyCheck._meta.db_table in tables and _has_key_check(using):
            found.append("a key-check record")
        found += [f"encrypted values in {table}" for table in _tables_with_values(using, tables)]
        return found
    except DatabaseError:  # unreachable: nothing is known, so nothing is claimed
        return []


def refuse_new_keys_beside_data(using: str = "default") -> None:
    """ExistingDataError if fresh keys would fork the key set of the data already stored."""
    found = existing_data(using)
    if found:
        raise ExistingDataError(
            f"Refusing to create a new key set: the database already holds {', '.join(found)}, "
            "written under keys that new ones could never open. Restore .env (or the key files, "
            "or SECRET_KEY and the KEYVAULT_* variables) from your backup instead. To abandon "
            f"the stored values deliberately and start over, pass {START_OVER_FLAG} "
            "(`make run START_OVER=1` moves a local db.sqlite3 aside)."
        )


def _has_key_check(using: str) -> bool:
    return KeyCheck.objects.using(using).filter(pk=RECORD_PK).exists()


def _tables_with_values(using: str, tables: set[str]) -> list[str]:
    from ..fields import EncryptedTextField  # imports the models: not at load

    connection = connections[using]
    quote = connection.ops.quote_name
    found = []
    for model in apps.get_models():
        table = model._meta.db_table
        columns = [
            str(f.column)
            for f in model._meta.local_concrete_fields
            if isinstance(f, EncryptedTextField)
        ]
        if not columns or table not in tables:
            continue
        where = " OR ".join(f"{quote(column)} IS NOT NULL" for column in columns)
        sql = f"SELECT 1 FROM {quote(table)} WHERE {where} LIMIT 1"  # noqa: S608 (quoted)
        with connection.cursor() as cursor:
            cursor.execute(sql)
            if cursor.fetchone():
                found.append(table)
    return found
