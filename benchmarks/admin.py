"""Benchmark 7: the Setting admin changelist with few and many rows: queries must not grow."""

from __future__ import annotations

from typing import Any

from django.contrib import admin as django_admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Setting
from tests.support.second_factor import verify_session

from .report import Result, skipped, verdict
from .sizes import Sizes
from .timing import Sample, progress, time_once
from .values import api_keys

URL = "/admin/settings_app/setting/"
NAME = "7 admin changelist"


def _seed(count: int, editor: Any) -> None:
    Setting._base_manager.all().delete()  # purge, not trash: the bench reuses the keys
    values = api_keys(count, seed=41)
    Setting.objects.bulk_create(
        [
            Setting(key=f"bench_key_{i:05d}", value=value, provider="openai", updated_by=editor)
            for i, value in enumerate(values)
        ],
        batch_size=500,
    )


def _measure(client: Client, rounds: int) -> tuple[int, int, Sample]:
    """(queries, rows shown, seconds per page) of the changelist's first page."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, secure=True)  # production settings redirect to HTTPS
    assert response.status_code == 200, response.status_code
    count = len(queries.captured_queries)  # now: later requests clear the connection's log
    shown = response.content.count(b'name="_selected_action"')
    times = [time_once(lambda: client.get(URL, secure=True)) for _ in range(rounds)]
    return count, shown, Sample(tuple(times))


def run(sizes: Sizes) -> list[Result]:
    if not django_admin.site.is_registered(Setting):
        return [skipped(NAME, "Setting is not registered in the admin yet.")]
    user = get_user_model().objects.create(username="bench-admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    verify_session(client, user)  # a staff session passes its second factor, as a real one does
    measured = {}
    for count in (sizes.admin_small, sizes.admin_large):
        progress(f"admin changelist with {count:,} settings")
        _seed(count, user)
        measured[count] = _measure(client, sizes.rounds)
    (q_small, n_small, t_small), (q_large, n_large, t_large) = measured.values()
    # What one more row costs: the fixed part of a page (filters, counts) cancels out.
    per_row = (t_large.median - t_small.median) / max(n_large - n_small, 1)
    detail = (
        f"{sizes.admin_small} settings: {q_small} queries, {n_small} rows shown, page "
        f"{t_small.spread(1e3, 'ms')}; {sizes.admin_large:,} settings: {q_large} queries, "
        f"{n_large} rows shown (paginated), page {t_large.spread(1e3, 'ms')}"
    )
    return [
        Result(
            f"{NAME}: queries, {sizes.admin_small} vs {sizes.admin_large:,} settings",
            f"{q_small} vs {q_large} queries",
            "must not grow",
            verdict(q_large <= q_small),
            detail,
        ),
        Result(
            f"{NAME}: render time per row shown",
            f"{per_row * 1e3:.2f} ms/row",
            "(reported)",
            "INFO",
            f"(page with {n_large} rows - page with {n_small} rows) / {n_large - n_small} rows",
        ),
    ]
