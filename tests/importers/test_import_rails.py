"""`manage.py import_rails` against PromptEngine-shaped Rails databases built in the test.

`rails_db` runs each test on SQLite, PostgreSQL and MariaDB (skipped only when a server does
not answer); the rest use a SQLite Rails database. Every run's output is checked for plaintext.
"""

from __future__ import annotations

import json

import pytest

from settings_app.models import AuditAction, AuditEvent, Setting
from tests.importers import rails_encrypt
from tests.importers.conftest import OLD_PRIMARY, SALT, rails_encrypted, run_command
from tests.importers.rails_encrypt import LONG_KEY, RAILS_VECTOR

pytestmark = pytest.mark.django_db

OPENAI_KEY = "sk-proj-imported-openai-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-imported-anthropic-0123456789"
GROQ_KEY = "gsk_imported-groq-0123456789abcdef"


def import_rails(database, keys_file, *args):
    run = run_command(
        "import_rails", "--database-url", database.url, "--keys-file", str(keys_file), *args
    )
    for secret in (OPENAI_KEY, ANTHROPIC_KEY, GROQ_KEY, LONG_KEY):
        assert secret not in run.text  # masks only
    return run


def imported_events():
    return AuditEvent.objects.filter(action=AuditAction.IMPORTED).exclude(setting_key="")


def prompt_engine_row(database, **columns):
    database.insert("prompt_engine_settings", preferences="{}", **columns)


def row_table(database, *rows):
    database.create_row_table()
    for key, value in rows:
        database.insert("settings", key=key, encrypted_value=value)


def test_imports_prompt_engine_settings(rails_db, keys_file):
    prompt_engine_row(
        rails_db,
        openai_api_key=rails_encrypted(OPENAI_KEY, key_reference=True),
        anthropic_api_key=rails_encrypted(ANTHROPIC_KEY, password=OLD_PRIMARY, digest="sha1"),
    )

    run = import_rails(rails_db, keys_file)

    assert run.exit_code == 0, run.text
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY
    assert Setting.objects.get_value("anthropic_api_key") == ANTHROPIC_KEY
    assert dict(Setting.objects.values_list("key", "provider")) == {
        "openai_api_key": "openai",
        "anthropic_api_key": "anthropic",
    }
    assert f"openai_api_key  imported  sk-proj-…{OPENAI_KEY[-4:]}" in run.out
    assert "decrypted with primary key 1, SHA-1" in run.out  # the previous key, older digest
    event = imported_events().get(setting_key="openai_api_key")
    assert event.actor_label == "manage.py import_rails"
    assert event.details["imported_from"] == "prompt_engine_settings id=1, column openai_api_key"


def test_compressed_long_key_and_envelope_rows(rails_db, keys_file):
    row_table(
        rails_db,
        ("openai_api_key", rails_encrypted(LONG_KEY)),
        ("groq_api_key", rails_encrypted(GROQ_KEY, envelope=True, key_reference=True)),
    )

    run = import_rails(rails_db, keys_file, "--table", "settings")

    assert run.exit_code == 0, run.text
    assert Setting.objects.get_value("openai_api_key") == LONG_KEY
    assert Setting.objects.get_value("groq_api_key") == GROQ_KEY
    assert "data key under primary key 2" in run.out


def test_tampered_row_is_reported_and_the_others_imported(rails_db, keys_file):
    row_table(
        rails_db,
        ("openai_api_key", rails_encrypted(OPENAI_KEY)),
        ("anthropic_api_key", rails_encrypt.tamper_tag(rails_encrypted(ANTHROPIC_KEY))),
        ("groq_api_key", rails_encrypted(GROQ_KEY)),
    )

    run = import_rails(rails_db, keys_file, "--table", "settings")

    assert run.exit_code == 1
    assert "1 row(s) failed" in str(run.error)
    assert "anthropic_api_key  failed: cannot decrypt: authentication failed" in run.out
    assert "[settings id=2]" in run.out
    assert set(Setting.objects.values_list("key", flat=True)) == {"openai_api_key", "groq_api_key"}
    summary = AuditEvent.objects.get(action=AuditAction.IMPORTED, setting_key="")
    assert summary.details["failed"] == ["settings id=2"]
    assert summary.details["imported"] == 2


def test_rerun_imports_nothing_new(rails_db, keys_file):
    prompt_engine_row(rails_db, openai_api_key=rails_encrypted(OPENAI_KEY))
    assert import_rails(rails_db, keys_file).exit_code == 0
    first = Setting.objects.get(key="openai_api_key")

    rerun = import_rails(rails_db, keys_file)

    assert rerun.exit_code == 0
    assert "openai_api_key  exists" in rerun.out and "same value" in rerun.out
    again = Setting.objects.get(key="openai_api_key")
    assert (again.pk, again.updated_at) == (first.pk, first.updated_at)
    assert imported_events().count() == 1


def test_rails_published_vector_is_decrypted_then_validated(tmp_path, sqlite_rails_db):
    keys = tmp_path / "rails_test_keys.yml"
    keys.write_text(
        "active_record_encryption:\n  primary_key: test master key\n"
        "  deterministic_key: test deterministic key\n"
        "  key_derivation_salt: testing key derivation salt\n"
    )
    keys.chmod(0o600)
    row_table(sqlite_rails_db, ("book_name_token", RAILS_VECTOR))

    run = import_rails(sqlite_rails_db, keys, "--table", "settings")

    # "Dune" came out of the vector, and is then refused as the admin form refuses it.
    assert "book_name_token  failed: The key is too short (4 characters)" in run.out
    assert run.exit_code == 1


def test_dry_run_reports_masks_and_writes_nothing(sqlite_rails_db, keys_file):
    prompt_engine_row(sqlite_rails_db, openai_api_key=rails_encrypted(OPENAI_KEY))
    events = AuditEvent.objects.count()

    run = import_rails(sqlite_rails_db, keys_file, "--dry-run")

    assert run.exit_code == 0
    assert f"openai_api_key  would import  sk-proj-…{OPENAI_KEY[-4:]}" in run.out
    assert "anthropic_api_key  skipped: empty" in run.out
    assert run.out.strip().endswith("Dry run: 1 would import, 1 skipped.")
    assert not Setting.objects.exists()
    assert AuditEvent.objects.count() == events


def test_existing_setting_is_kept_unless_replace(sqlite_rails_db, keys_file):
    Setting.objects.create(
        key="openai_api_key", value="sk-proj-already-here-00001", provider="openai"
    )
    prompt_engine_row(sqlite_rails_db, openai_api_key=rails_encrypted(OPENAI_KEY))

    kept = import_rails(sqlite_rails_db, keys_file)
    assert "openai_api_key  exists" in kept.out and "different value; kept" in kept.out
    assert "Rerun with --replace" in kept.out
    assert Setting.objects.get_value("openai_api_key") == "sk-proj-already-here-00001"

    replaced = import_rails(sqlite_rails_db, keys_file, "--replace")
    assert "openai_api_key  replaced" in replaced.out
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY
    assert imported_events().get().details["replaced"] is True


def test_value_stored_under_another_name_is_not_imported_twice(sqlite_rails_db, keys_file):
    Setting.objects.create(key="openai_prod", value=OPENAI_KEY, provider="openai")
    prompt_engine_row(sqlite_rails_db, openai_api_key=rails_encrypted(OPENAI_KEY))

    run = import_rails(sqlite_rails_db, keys_file)

    assert "openai_api_key  duplicate" in run.out and "already stored as openai_prod" in run.out
    assert list(Setting.objects.values_list("key", flat=True)) == ["openai_prod"]


def test_legacy_plaintext_needs_allow_plaintext(sqlite_rails_db, keys_file):
    prompt_engine_row(sqlite_rails_db, openai_api_key=OPENAI_KEY)

    refused = import_rails(sqlite_rails_db, keys_file)
    assert "openai_api_key  skipped: stored unencrypted" in refused.out
    assert "--allow-plaintext" in refused.out and not Setting.objects.exists()

    allowed = import_rails(sqlite_rails_db, keys_file, "--allow-plaintext")
    assert "openai_api_key  imported" in allowed.out
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY


def test_invalid_key_fails_validation_like_the_admin_form(sqlite_rails_db, keys_file):
    prompt_engine_row(
        sqlite_rails_db,
        openai_api_key=rails_encrypted("sk-admin-organisation-key-0123456789"),
        anthropic_api_key=rails_encrypted(ANTHROPIC_KEY),
    )

    run = import_rails(sqlite_rails_db, keys_file)

    assert "openai_api_key  failed: Refused: this is an OpenAI admin key" in run.out
    assert "sk-admin-organisation" not in run.text
    assert run.exit_code == 1
    assert list(Setting.objects.values_list("key", flat=True)) == ["anthropic_api_key"]


def test_keys_from_the_environment(sqlite_rails_db, monkeypatch):
    monkeypatch.setenv("ACTIVE_RECORD_ENCRYPTION__PRIMARY_KEY", OLD_PRIMARY)
    monkeypatch.setenv("ACTIVE_RECORD_ENCRYPTION__KEY_DERIVATION_SALT", SALT)
    prompt_engine_row(
        sqlite_rails_db, openai_api_key=rails_encrypted(OPENAI_KEY, password=OLD_PRIMARY)
    )

    run = run_command("import_rails", "--database-url", sqlite_rails_db.url)

    assert run.exit_code == 0, run.text
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY


def test_no_keys_anywhere_is_a_clear_error(sqlite_rails_db):
    run = run_command("import_rails", "--database-url", sqlite_rails_db.url)
    assert "No Rails primary_key and no key_derivation_salt in the environment" in str(run.error)
    assert "ACTIVE_RECORD_ENCRYPTION__PRIMARY_KEY" in str(run.error)


def test_keys_file_readable_by_others_is_refused(sqlite_rails_db, keys_file):
    keys_file.chmod(0o644)
    prompt_engine_row(sqlite_rails_db, openai_api_key=rails_encrypted(OPENAI_KEY))
    run = import_rails(sqlite_rails_db, keys_file)
    assert f"chmod 600 {keys_file}" in str(run.error)
    assert not Setting.objects.exists()


@pytest.mark.parametrize("option", ["--primary-key", "--key", "--key-derivation-salt"])
def test_keys_are_never_accepted_as_arguments(sqlite_rails_db, option):
    run = run_command("import_rails", "--database-url", sqlite_rails_db.url, option, "secret")
    assert "unrecognized arguments" in str(run.error)


def test_other_apps_table_and_columns(sqlite_rails_db, keys_file):
    sqlite_rails_db.execute(
        "CREATE TABLE ai_credentials (id INTEGER PRIMARY KEY, groq_secret TEXT, note TEXT)"
    )
    sqlite_rails_db.execute(
        "INSERT INTO ai_credentials (groq_secret, note) VALUES (%s, %s)",
        (rails_encrypted(GROQ_KEY), "not a key"),
    )

    run = import_rails(sqlite_rails_db, keys_file, "--table", "ai_credentials")
    assert run.exit_code == 0, run.text
    assert Setting.objects.get(key="groq_secret").provider == "groq"

    missing = import_rails(
        sqlite_rails_db, keys_file, "--table", "ai_credentials", "--column", "nope"
    )
    assert "has no column nope; its columns are id, groq_secret, note" in str(missing.error)


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ("missing_table", "Cannot read missing_table"),
        ("x; DROP TABLE prompt_engine_settings", "is not a table name"),
    ],
)
def test_bad_tables_are_clear_errors(sqlite_rails_db, keys_file, table, reason):
    run = import_rails(sqlite_rails_db, keys_file, "--table", table)
    assert reason in str(run.error)


def test_unsupported_database_url(keys_file):
    run = run_command(
        "import_rails", "--database-url", "oracle://db/x", "--keys-file", str(keys_file)
    )
    assert "Unsupported database URL scheme 'oracle'" in str(run.error)


def test_imports_a_csv_export(tmp_path, keys_file):
    export = tmp_path / "prompt_engine_settings.csv"
    export.write_text(
        "id,openai_api_key,anthropic_api_key,preferences\n"
        + f"1,{json.dumps(rails_encrypted(OPENAI_KEY))},,{{}}\n".replace('\\"', '""')
    )

    run = run_command("import_rails", "--from-file", str(export), "--keys-file", str(keys_file))

    assert run.exit_code == 0, run.text
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY
    assert "[prompt_engine_settings.csv line 2, column openai_api_key]" in run.out
    assert "anthropic_api_key  skipped: empty" in run.out


def test_imports_a_json_lines_export_in_row_layout(tmp_path, keys_file):
    export = tmp_path / "settings.jsonl"
    lines = [
        {"id": 1, "key": "openai_api_key", "encrypted_value": rails_encrypted(OPENAI_KEY)},
        {"id": 2, "key": "groq_api_key", "encrypted_value": json.loads(rails_encrypted(GROQ_KEY))},
    ]
    export.write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    run = run_command("import_rails", "--from-file", str(export), "--keys-file", str(keys_file))

    assert run.exit_code == 0, run.text
    assert Setting.objects.get_value("openai_api_key") == OPENAI_KEY
    assert Setting.objects.get_value("groq_api_key") == GROQ_KEY  # a JSON column exported as JSON
    assert "[settings.jsonl line 2]" in run.out


def test_plaintext_never_reaches_the_audit_trail(sqlite_rails_db, keys_file):
    prompt_engine_row(
        sqlite_rails_db,
        openai_api_key=rails_encrypted(OPENAI_KEY),
        anthropic_api_key=rails_encrypt.tamper_tag(rails_encrypted(ANTHROPIC_KEY)),
    )
    import_rails(sqlite_rails_db, keys_file)
    trail = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert OPENAI_KEY not in trail and ANTHROPIC_KEY not in trail
    assert OPENAI_KEY[8:-4] not in trail


def test_connection_errors_never_show_the_database_password(keys_file):
    url = "postgres://rails:s3cret-db-password@127.0.0.1:1/app"
    run = run_command("import_rails", "--database-url", url, "--keys-file", str(keys_file))
    assert "Cannot read prompt_engine_settings from postgres://rails@127.0.0.1:1/app" in str(
        run.error
    )
    assert "s3cret-db-password" not in run.text
