"""One-row lookups by an indexed column for the read paths, without the ORM's compiler.

Building a Django query (filter, compile) costs more than running it against an index, and so
does `Model.objects.raw()` (it resolves every column of the model per query). The SQL and the
columns are planned once per model, column set and database; a row then goes through exactly
the converters the ORM applies (so encrypted values are
decrypted as through the ORM) and `Model.from_db`, as a queryset would build it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.signals import setting_changed
from django.db import connections, models, router
from django.dispatch import receiver

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: list[str]  # attribute names, in the SELECT's (the model's) order
    columns: list[Any]  # the fields' Col expressions, for their converters


def first_where(
    model: type[M], field: str, values: Sequence[Any], fields: Sequence[str] = ()
) -> M | None:
    """A row whose `field` is one of `values`, with only `fields` loaded (default: all)."""
    alias = router.db_for_read(model)
    plan = _plan(model, field, len(values), tuple(fields), alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, list(values))
        row = cursor.fetchone()
    if row is None:
        return None
    loaded = list(row)
    # Converters are asked for per query, as the ORM does: an encrypted field's reader holds
    # the cipher of the keys configured now.
    for position, column in enumerate(plan.columns):
        for convert in (
            *connection.ops.get_db_converters(column),
            *column.get_db_converters(connection),
        ):
            loaded[position] = convert(loaded[position], column, connection)
    return model.from_db(alias, plan.names, loaded)


@functools.cache
def _plan(
    model: type[models.Model], field: str, count: int, fields: tuple[str, ...], alias: str
) -> _Plan:
    connection = connections[alias]
    quote, opts = connection.ops.quote_name, model._meta
    by_name = {f.name: f for f in opts.concrete_fields}
    wanted = {opts.pk.name, *fields} if fields else set(by_name)
    # In the model's field order: Model.from_db() matches a partial row's values in that order.
    chosen = [f for f in opts.concrete_fields if f.name in wanted]
    selected = ", ".join(quote(str(f.column)) for f in chosen)
    placeholders = ", ".join(["%s"] * count)
    where = quote(str(by_name[field].column))
    sql = f"SELECT {selected} FROM {quote(opts.db_table)} WHERE {where} IN ({placeholders})"  # noqa: S608 (quoted names; values are parameters)
    columns = [f.get_col(opts.db_table) for f in chosen]
    return _Plan(sql, [f.attname for f in chosen], columns)


@receiver(setting_changed, dispatch_uid="keyvault-row-plans")
def _forget_plans(*, setting: str, **kwargs: Any) -> None:
    if setting == "DATABASES":
        _plan.cache_clear()
