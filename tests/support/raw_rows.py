"""Raw access to the test tables, past the ORM, and key rotations: how tests set the scene."""

from __future__ import annotations

from typing import Any

from django.db import connection, models

from tests.support.keys import fake_key


def raw(obj: models.Model, field: str = "value") -> Any:
    """What the database holds for `obj.field`, read past the ORM."""
    table, column, pk = _names(type(obj), field)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {pk} = %s", [obj.pk])
        return cursor.fetchone()[0]


def write_raw(obj: models.Model, text: str | None, field: str = "value") -> None:
    """Store `text` in `obj.field` as it is, past the ORM."""
    table, column, pk = _names(type(obj), field)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE {pk} = %s", [text, obj.pk])


def _names(model: Any, field: str) -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    meta = model._meta
    return quote(meta.db_table), quote(meta.get_field(field).column), quote(meta.pk.column)


def raw_values(table: str, column: str = "value") -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def set_raw(table: str, pk: int, value: str | None, column: str = "value") -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def insert_raw(table: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (value, note) VALUES (%s, '')", [value])


def tampered(envelope: str) -> str:
    """`envelope` with one payload character changed: it no longer authenticates."""
    return envelope[:-6] + ("A" if envelope[-6] != "A" else "B") + envelope[-5:]


def key_id(envelope: str) -> str:
    return envelope.split("$")[3]


def rotate_primary(settings: Any) -> None:
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [settings.KEYVAULT_PRIMARY_KEY]
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-next")


def rotate_deterministic(settings: Any) -> None:
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = [settings.KEYVAULT_DETERMINISTIC_KEY]
    settings.KEYVAULT_DETERMINISTIC_KEY = fake_key("deterministic-next")


def drop_fallbacks(settings: Any) -> None:
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = []
    settings.KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = []
