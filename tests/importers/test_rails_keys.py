"""The Rails key set: from what `db:encryption:init` prints or env lines, in a private file only."""

from __future__ import annotations

import pytest

from settings_app.importers.errors import RailsKeysError
from settings_app.importers.rails_keys import (
    keys_from_environment,
    load_keys_file,
    parse_keys_text,
)
from tests.importers.conftest import (
    DETERMINISTIC,
    INIT_OUTPUT,
    OLD_PRIMARY,
    PRIMARY,
    RAILS_KEYS,
    SALT,
    write_private,
)


def test_reads_what_db_encryption_init_prints(keys_file):
    assert load_keys_file(keys_file) == RAILS_KEYS


def test_reads_a_single_primary_key_in_a_credentials_file(tmp_path):
    text = (
        "secret_key_base: abc\nproduction:\n  active_record_encryption:\n"
        f"    primary_key: {PRIMARY}\n    deterministic_key: {DETERMINISTIC}\n"
        f"    key_derivation_salt: {SALT}\n"
    )
    keys = load_keys_file(write_private(tmp_path / "credentials.yml", text))
    assert (keys.primary_keys, keys.deterministic_key) == ((PRIMARY,), DETERMINISTIC)


@pytest.mark.parametrize("separator", ["__", "_"])
def test_reads_env_lines_with_either_spelling(tmp_path, separator):
    prefix = f"ACTIVE_RECORD_ENCRYPTION{separator}"
    text = (
        f"# the Rails app's keys\nexport {prefix}PRIMARY_KEY={PRIMARY}\n"
        f"{prefix}DETERMINISTIC_KEY='{DETERMINISTIC}'\n{prefix}KEY_DERIVATION_SALT=\"{SALT}\"\n"
    )
    keys = load_keys_file(write_private(tmp_path / "rails.env", text))
    assert (keys.primary_keys, keys.deterministic_key, keys.key_derivation_salt) == (
        (PRIMARY,),
        DETERMINISTIC,
        SALT,
    )


def test_yaml_scalars_stay_exactly_as_written():
    keys = parse_keys_text("primary_key: 0123\nkey_derivation_salt: 1e10\n", origin="test")
    assert (keys.primary_keys, keys.key_derivation_salt) == (("0123",), "1e10")


def test_reads_the_environment():
    environ = {
        "ACTIVE_RECORD_ENCRYPTION__PRIMARY_KEY": PRIMARY,
        "ACTIVE_RECORD_ENCRYPTION__KEY_DERIVATION_SALT": SALT,
    }
    keys = keys_from_environment(environ)
    assert (keys.primary_keys, keys.deterministic_key) == ((PRIMARY,), None)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o700 | 0o001])
def test_refuses_a_keys_file_other_users_can_access(tmp_path, mode):
    path = write_private(tmp_path / "keys.yml", INIT_OUTPUT, mode)
    with pytest.raises(RailsKeysError, match=f"chmod 600 {path}") as caught:
        load_keys_file(path)
    assert PRIMARY not in str(caught.value)


def test_missing_keys_file_is_a_clear_error(tmp_path):
    with pytest.raises(RailsKeysError, match="Cannot read the keys file"):
        load_keys_file(tmp_path / "absent.yml")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "No Rails primary_key and no key_derivation_salt"),
        (f"active_record_encryption:\n  primary_key: {PRIMARY}\n", "No Rails key_derivation_salt"),
        (f"ACTIVE_RECORD_ENCRYPTION__KEY_DERIVATION_SALT={SALT}\n", "No Rails primary_key in"),
        ("primary_key: [unclosed\n", "neither YAML nor env lines"),
        ("key_derivation_salt: s\nprimary_key: {a: b}\n", "must be text"),
        (
            "a:\n  key_derivation_salt: s\n  primary_key: p\n"
            "b:\n  key_derivation_salt: t\n  primary_key: q\n",
            "2 key sets",
        ),
    ],
)
def test_malformed_key_sets_say_what_is_missing(text, reason):
    with pytest.raises(RailsKeysError, match=reason):
        parse_keys_text(text, origin="keys.yml")


def test_errors_never_quote_key_material():
    text = f"primary_key: [{OLD_PRIMARY}, {PRIMARY}\n"  # unclosed list
    with pytest.raises(RailsKeysError) as caught:
        parse_keys_text(text, origin="keys.yml")
    assert PRIMARY not in str(caught.value) and OLD_PRIMARY not in str(caught.value)
