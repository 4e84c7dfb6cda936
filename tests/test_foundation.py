"""The project starts right: configuration, checks, migrations, and the admin login page."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import ROOT, run_manage
from tests.support.keys import KEY_ENV


def settings_value(expression: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Evaluate `expression` against the real settings module in a fresh interpreter."""
    code = f"from django.conf import settings; print({expression})"
    full_env = {"PATH": os.environ["PATH"], "KEYVAULT_ENV_FILE": "", **env}
    full_env["DJANGO_SETTINGS_MODULE"] = "keyvault_site.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.django_db  # plain check reads the key-check record
def test_system_checks_are_clean() -> None:
    out = io.StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()


@pytest.mark.django_db
def test_models_and_migrations_agree() -> None:
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_missing_secret_key_in_production_names_the_variable() -> None:
    result = settings_value("settings.DEBUG", {"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("from-a-container-secret-0123456789")
    result = settings_value("settings.SECRET_KEY", {"SECRET_KEY_FILE": str(secret)})
    assert result.stdout.strip() == "from-a-container-secret-0123456789"


def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=from-dot-env-0123456789\nDEBUG=true\n")
    result = settings_value(
        "settings.SECRET_KEY, settings.DEBUG", {"KEYVAULT_ENV_FILE": str(env_file)}
    )
    assert result.stdout.split() == ["from-dot-env-0123456789", "True"]


@pytest.mark.parametrize(
    ("line", "secret_key", "debug"),
    [
        # An inline comment is a comment (django-environ kept it: DEBUG was silently off).
        ("DEBUG=true # local", "from-dot-env-0123456789", "True"),
        ('export DEBUG="true"', "from-dot-env-0123456789", "True"),
        ("DEBUG='true'  # quoted, then a comment", "from-dot-env-0123456789", "True"),
    ],
)
def test_the_env_file_is_read_as_import_env_reads_it(
    tmp_path: Path, line: str, secret_key: str, debug: str
) -> None:
    from settings_app.importers.dotenv_source import parse_env

    text = f'SECRET_KEY="{secret_key}" # quoted\n{line}\nALLOWED_HOSTS="a # b"\n'
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    result = settings_value(
        "settings.SECRET_KEY, settings.DEBUG, settings.ALLOWED_HOSTS",
        {"KEYVAULT_ENV_FILE": str(env_file)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{secret_key} {debug} ['a # b']"
    parsed = {entry.name: entry.value for entry in parse_env(text, ".env").entries}
    assert parsed["SECRET_KEY"] == secret_key and parsed["ALLOWED_HOSTS"] == "a # b"


def test_database_url_selects_postgresql() -> None:
    result = settings_value(
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']",
        {"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://kv:pw@db.example:5432/keyvault"},
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "keyvault"]


def test_default_database_is_sqlite_in_the_project() -> None:
    result = settings_value("settings.DATABASES['default']['NAME']", {"SECRET_KEY": "x" * 50})
    assert result.stdout.strip() == str(ROOT / "db.sqlite3")


def test_production_refuses_to_serve_without_keys() -> None:
    result = run_manage("check", env={"SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "keyvault.E001" in result.stderr
    assert "init_encryption" in result.stderr


def test_check_is_clean_with_a_key_set() -> None:
    result = run_manage("check", env={"SECRET_KEY": "x" * 50, **KEY_ENV})
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_admin_login_page_answers() -> None:
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    assert b"password" in response.content


@pytest.mark.django_db
def test_root_redirects_to_the_admin() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
