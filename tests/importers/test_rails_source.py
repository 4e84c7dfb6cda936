"""Reading a Rails settings table: URLs, exports, and the row and column layouts."""

from __future__ import annotations

import pytest

from settings_app.importers.errors import SourceError
from settings_app.importers.rails_source import (
    Layout,
    SourceRow,
    SourceTable,
    describe_url,
    encrypted_values,
    read_export,
)


def table(columns, *rows):
    return SourceTable("t", tuple(columns), [SourceRow(f"id={n}", r) for n, r in enumerate(rows)])


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://rails:s3cret@db.internal:5432/app", "postgres://rails@db.internal:5432/app"),
        ("mysql://root:pw@127.0.0.1/app", "mysql://root@127.0.0.1/app"),
        ("sqlite:////srv/app/production.sqlite3", "sqlite:////srv/app/production.sqlite3"),
    ],
)
def test_described_urls_never_show_passwords(url, shown):
    assert describe_url(url) == shown


def test_column_layout_takes_secret_looking_columns_by_default():
    values = encrypted_values(
        table(["id", "openai_api_key", "slack_token", "preferences"], {
            "id": 1, "openai_api_key": "a", "slack_token": None, "preferences": {"x": 1},
        })
    )  # fmt: skip
    assert [(v.name, v.text, v.source) for v in values] == [
        ("openai_api_key", "a", "t id=0, column openai_api_key"),
        ("slack_token", None, "t id=0, column slack_token"),
    ]


def test_row_layout_is_detected_from_key_and_encrypted_value():
    values = encrypted_values(
        table(
            ["id", "key", "encrypted_value"],
            {"id": 1, "key": "OpenAI_API_Key", "encrypted_value": "c"},
        )
    )
    assert [(v.name, v.text) for v in values] == [("openai_api_key", "c")]


def test_row_layout_with_another_value_column():
    values = encrypted_values(
        table(["key", "secret_value"], {"key": "groq_api_key", "secret_value": "c"}),
        columns=["secret_value"],
    )
    assert [(v.name, v.text) for v in values] == [("groq_api_key", "c")]


def test_layout_can_be_forced():
    data = table(
        ["key", "encrypted_value", "groq_token"],
        {"key": "k", "encrypted_value": "v", "groq_token": "g"},
    )
    assert [v.name for v in encrypted_values(data, layout=Layout.COLUMNS)] == ["groq_token"]


def test_row_with_empty_name_is_a_problem():
    values = encrypted_values(
        table(["key", "encrypted_value"], {"key": None, "encrypted_value": "c"})
    )
    assert values[0].problem == "its key is empty"


def test_binary_values_are_a_problem_not_a_crash():
    values = encrypted_values(table(["openai_api_key"], {"openai_api_key": b"\x93\xa1p\xff"}))
    assert "binary" in values[0].problem


@pytest.mark.parametrize(
    ("columns", "options", "reason"),
    [
        (["id", "name"], {}, "no \\*_api_key, \\*_token or \\*_secret column"),
        (["id", "key"], {"layout": Layout.ROWS}, "no column encrypted_value"),
        (["key", "a", "b"], {"layout": Layout.ROWS, "columns": ["a", "b"]}, "give --column once"),
    ],
)
def test_layout_errors_say_what_to_do(columns, options, reason):
    with pytest.raises(SourceError, match=reason):
        encrypted_values(table(columns), **options)


def test_csv_empty_fields_are_null(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text('id,openai_api_key\n1,""\n2,"{""p"":""x""}"\n')
    rows = read_export(path).rows
    assert [row.fields["openai_api_key"] for row in rows] == [None, '{"p":"x"}']
    assert [row.where for row in rows] == ["line 2", "line 3"]


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("export.jsonl", '{"a": 1}\n[1]\n', "line 2 is not a JSON object"),
        ("export.csv", "", "is empty"),
        ("export.csv", b"\xff\xfe", "Cannot read"),
    ],
)
def test_bad_exports_are_clear_errors(tmp_path, name, text, reason):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SourceError, match=reason):
        read_export(path)
