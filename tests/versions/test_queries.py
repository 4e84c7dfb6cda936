"""The cost of versions: one INSERT per value save, and a changelist that does not grow."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from settings_app.models import Setting, SettingVersion
from tests.versions.conftest import KEY, new_key

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/settings_app/setting/"
VERSION_TABLE = SettingVersion._meta.db_table


def statements(queries: CaptureQueriesContext) -> list[str]:
    """Each captured statement reduced to its verb and table, e.g. 'INSERT settings_app_...'."""
    shapes = []
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split()[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE|TABLE)\s+"?(\w+)"?', sql)
        shapes.append(f"{verb} {table[1] if table else ''}".strip())
    return shapes


def post_change(client: Client, setting: Setting, **fields: str) -> CaptureQueriesContext:
    data = {
        "key": setting.key,
        "provider": setting.provider,
        "value": "",
        "description": setting.description,
        "expires_at": "",
        "version": str(setting.version),
        **fields,
    }
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"{CHANGELIST}{setting.pk}/change/", data)
    assert response.status_code == 302
    return queries


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_a_value_saved_in_the_admin_costs_one_insert_more_than_a_metadata_save(
    admin_client: Client,
) -> None:
    setting = Setting.objects.set_value(KEY, new_key())
    post_change(admin_client, setting, description="warm-up")  # caches the content type
    metadata = statements(post_change(admin_client, setting, description="first edit"))
    setting.refresh_from_db()
    value = statements(post_change(admin_client, setting, description="again", value=new_key()))

    extra = list(value)
    for shape in metadata:
        extra.remove(shape)
    assert extra == [f"INSERT {VERSION_TABLE}"]


def test_set_value_costs_one_insert_until_retention_prunes(settings) -> None:
    settings.KEYVAULT_MAX_VERSIONS = 2
    Setting.objects.set_value(KEY, new_key())
    counted = []
    for _ in range(4):
        with CaptureQueriesContext(connection) as queries:
            Setting.objects.set_value(KEY, new_key())
        shapes = statements(queries)
        counted.append(
            (shapes.count(f"INSERT {VERSION_TABLE}"), shapes.count(f"DELETE {VERSION_TABLE}"))
        )
    # Versions 2 and 3 fit; from version 4 on each save pushes one version out.
    assert counted == [(1, 0), (1, 0), (1, 1), (1, 1)]


def test_the_changelist_query_count_does_not_grow_with_versions(admin_client: Client) -> None:
    for n in range(3):
        Setting.objects.set_value(f"key_{n}", new_key(), provider="openai")
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(CHANGELIST).status_code == 200
    for n in range(3):
        for _ in range(12):
            Setting.objects.set_value(f"key_{n}", new_key())
    with CaptureQueriesContext(connection) as many:
        page = admin_client.get(CHANGELIST)

    assert SettingVersion.objects.count() == 3 * 11  # the newest and 10 past per setting
    assert len(many) == len(few)
    assert b">v13</a>" in page.content  # the version column reads the row, not the versions
