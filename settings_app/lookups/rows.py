"""One-row lookups by an indexed column for the read paths, without the ORM's compiler.

Building a Django query (filter, compile) costs more than running it against an index, and
every API read would run two. `Model.objects.raw()` keeps what matters: model instances, and the
fields' converters (so encrypted values are decrypted exactly as through the ORM).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


def first_where(
    model: type[M], field: str, values: Sequence[Any], fields: Sequence[str] = ()
) -> M | None:
    """A row whose `field` is one of `values`, with only `fields` loaded (default: all)."""
    connection = connections[router.db_for_read(model)]
    quote, opts = connection.ops.quote_name, model._meta
    by_name = {f.name: str(f.column) for f in opts.concrete_fields}
    names = [opts.pk.name, *fields] if fields else list(by_name)
    columns = ", ".join(quote(by_name[name]) for name in names)
    column = quote(by_name[field])
    placeholders = ", ".join(["%s"] * len(values))
    sql = f"SELECT {columns} FROM {quote(opts.db_table)} WHERE {column} IN ({placeholders})"  # noqa: S608 (quoted names; values are parameters)
    return next(iter(model._default_manager.raw(sql, list(values))), None)
