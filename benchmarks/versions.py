"""Benchmark 8: what versions cost: one INSERT per value save, and a changelist that does not grow.

Each key is saved once, the changelist's queries are counted, then every key gets many more
versions and they are counted again. A value save is captured statement by statement.
"""

from __future__ import annotations

import secrets
import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Setting, SettingVersion
from tests.support.second_factor import verify_session

from .report import Result, verdict
from .sizes import Sizes
from .timing import progress

NAME = "8 versions"
URL = "/admin/settings_app/setting/"
KEYS = 10
DEPTH = 20  # versions added to every key between the two counts (10 past ones are kept)


def _key() -> str:
    return "sk-proj-" + secrets.token_urlsafe(36)


def _changelist_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, secure=True)
    assert response.status_code == 200, response.status_code
    return len(queries.captured_queries)


def _version_statements(queries: CaptureQueriesContext) -> list[str]:
    table = SettingVersion._meta.db_table
    return [q["sql"].split()[0].upper() for q in queries.captured_queries if table in q["sql"]]


def run(sizes: Sizes) -> list[Result]:
    Setting._base_manager.all().delete()  # purge, not trash: the bench reuses the keys
    user, _ = get_user_model().objects.get_or_create(
        username="bench-versions", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    verify_session(client, user)  # a staff session passes its second factor, as a real one does
    names = [f"bench_versions_{i:02d}" for i in range(KEYS)]
    for name in names:
        Setting.objects.set_value(name, _key(), provider="openai")
    few = _changelist_queries(client)
    progress(f"versions: {KEYS} keys x {DEPTH} more versions")
    started = time.perf_counter()
    for _ in range(DEPTH):
        for name in names:
            Setting.objects.set_value(name, _key())
    per_save = (time.perf_counter() - started) / (KEYS * DEPTH)
    many = _changelist_queries(client)
    kept = SettingVersion.objects.count()
    return [
        Result(
            f"{NAME}: changelist queries, 1 vs {DEPTH + 1} versions per key",
            f"{few} vs {many} queries",
            "must not grow",
            verdict(many <= few),
            f"{KEYS} keys; {kept} version rows kept after the deep run (retention).",
        ),
        _save_cost(names[0], per_save),
    ]


def _save_cost(name: str, per_save: float) -> Result:
    with CaptureQueriesContext(connection) as quiet:
        setting = Setting.objects.get(key=name)
        setting.description = "metadata only"
        setting.save()
    with CaptureQueriesContext(connection) as loud:
        Setting.objects.set_value(name, _key())
    metadata, value = _version_statements(quiet), _version_statements(loud)
    inserts = value.count("INSERT")
    return Result(
        f"{NAME}: version statements per save",
        f"value save: {', '.join(value) or 'none'}; metadata save: {', '.join(metadata) or 'none'}",
        "1 INSERT per value save (+1 DELETE past retention)",
        verdict(inserts == 1 and not metadata and len(value) <= 2),
        f"set_value with a new value: {per_save * 1e3:.2f} ms per save (reported), "
        f"{len(loud.captured_queries)} statements in all.",
    )
