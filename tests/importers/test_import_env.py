"""`manage.py import_env`: python-dotenv's rules, duplicates, dry runs and the file's clean-up."""

from __future__ import annotations

import os
import stat

import pytest

from settings_app.importers.dotenv_source import parse_env, rewrite_file
from settings_app.importers.errors import SourceError
from settings_app.models import AuditAction, AuditEvent, Setting
from tests.importers.conftest import run_command

pytestmark = pytest.mark.django_db

OPENAI = "sk-proj-from-dotenv-0123456789abcdef"
ANTHROPIC = "sk-ant-api03-from-dotenv-0123456789"
GROQ = "gsk_from-dotenv-0123456789abcdef"
GEMINI = "AIzaSyFromDotenv0123456789abcdefgh"
COHERE = "cohere-from-dotenv-0123456789abcd"
STRIPE = "sk_live_from-dotenv-0123456789abcd"
SECRETS = (OPENAI, ANTHROPIC, GROQ, GEMINI, COHERE, STRIPE)

ENV_TEXT = f"""# Local development settings
DEBUG=true
export OPENAI_API_KEY="{OPENAI}"
ANTHROPIC_API_KEY='{ANTHROPIC}'   # the team key
GROQ_API_KEY={GROQ} # unquoted, with a comment
GOOGLE_API_KEY = "{GEMINI}"
CO_API_KEY={COHERE}

CERTIFICATE="-----BEGIN-----
line two
-----END-----"
STRIPE_SECRET={STRIPE}
EMPTY_TOKEN=
"""


def import_env(path, *args, stdin=None):
    run = run_command("import_env", str(path), *args, stdin=stdin)
    for secret in SECRETS:
        assert secret not in run.text  # masks only
    return run


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text(ENV_TEXT)
    path.chmod(0o640)
    return path


def stored():
    return dict(Setting.objects.values_list("key", "provider"))


def test_imports_known_variables_with_their_providers(env_file):
    run = import_env(env_file)

    assert run.exit_code == 0, run.text
    assert stored() == {
        "openai_api_key": "openai",
        "anthropic_api_key": "anthropic",
        "groq_api_key": "groq",
        "google_api_key": "gemini",
        "co_api_key": "cohere",
    }
    # quoting, `export`, spaces around "=", trailing comments: python-dotenv's rules
    assert Setting.objects.get_value("openai_api_key") == OPENAI
    assert Setting.objects.get_value("anthropic_api_key") == ANTHROPIC
    assert Setting.objects.get_value("groq_api_key") == GROQ
    assert Setting.objects.get_value("google_api_key") == GEMINI
    assert f"openai_api_key  imported  sk-proj-…{OPENAI[-4:]}" in run.out
    assert "stripe_secret  skipped: not a known provider variable" in run.out
    assert "DEBUG" not in run.out and "CERTIFICATE" not in run.out
    assert "2 other variable(s) are not secrets; left alone." in run.out


def test_all_imports_every_secret_looking_variable(env_file):
    run = import_env(env_file, "--all")
    assert run.exit_code == 0, run.text
    assert stored()["stripe_secret"] == "other"
    assert Setting.objects.get_value("stripe_secret") == STRIPE
    assert "empty_token  skipped: empty" in run.out


def test_audit_names_the_file_and_line(env_file):
    import_env(env_file)
    event = AuditEvent.objects.get(action=AuditAction.IMPORTED, setting_key="groq_api_key")
    assert event.details["imported_from"] == f"{env_file} line 5"
    assert event.actor_label == "manage.py import_env"


def test_dry_run_writes_nothing_and_lists_lines_to_delete(env_file):
    before = env_file.read_text()
    events = AuditEvent.objects.count()

    run = import_env(env_file, "--dry-run", "--delete-imported")

    assert "openai_api_key  would import" in run.out
    assert f"These lines of {env_file} can once imported be deleted:" in run.out
    assert "  line 3: OPENAI_API_KEY (in keyvault as openai_api_key)" in run.out
    assert not Setting.objects.exists()
    assert AuditEvent.objects.count() == events
    assert env_file.read_text() == before


def test_value_already_stored_under_another_name_is_a_duplicate(env_file):
    Setting.objects.create(key="groq_personal", value=GROQ, provider="groq")

    run = import_env(env_file)

    assert "groq_api_key  duplicate" in run.out and "already stored as groq_personal" in run.out
    assert not Setting.objects.filter(key="groq_api_key").exists()
    assert "  line 5: GROQ_API_KEY (in keyvault as groq_personal)" in run.out


def test_same_value_twice_in_the_file_is_imported_once(tmp_path):
    path = tmp_path / ".env"
    path.write_text(f"GEMINI_API_KEY={GEMINI}\nGOOGLE_API_KEY={GEMINI}\n")

    run = import_env(path)

    assert "google_api_key  duplicate" in run.out
    assert "same value as gemini_api_key in this import" in run.out
    assert list(Setting.objects.values_list("key", flat=True)) == ["gemini_api_key"]


def test_rerun_imports_nothing_new(env_file):
    import_env(env_file)
    per_key = AuditEvent.objects.filter(action=AuditAction.IMPORTED).exclude(setting_key="")
    imported = per_key.count()

    rerun = import_env(env_file)

    assert rerun.exit_code == 0
    assert "openai_api_key  exists" in rerun.out and "same value" in rerun.out
    assert "imported" not in rerun.out.split("\n")[-2]  # the summary: nothing imported
    assert per_key.count() == imported
    assert Setting.objects.count() == 5


def test_delete_imported_rewrites_the_file_atomically_keeping_its_mode(env_file):
    Setting.objects.create(
        key="co_api_key", value="cohere-a-different-value-01234", provider="cohere"
    )

    run = import_env(env_file, "--delete-imported")

    assert run.exit_code == 0, run.text
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    assert os.listdir(env_file.parent) == [".env"]  # no temporary file left behind
    rewritten = env_file.read_text()
    assert rewritten == ENV_TEXT.replace(
        f'export OPENAI_API_KEY="{OPENAI}"', "# moved to keyvault: openai_api_key"
    ).replace(
        f"ANTHROPIC_API_KEY='{ANTHROPIC}'   # the team key",
        "# moved to keyvault: anthropic_api_key",
    ).replace(
        f"GROQ_API_KEY={GROQ} # unquoted, with a comment", "# moved to keyvault: groq_api_key"
    ).replace(f'GOOGLE_API_KEY = "{GEMINI}"', "# moved to keyvault: google_api_key")
    assert f"CO_API_KEY={COHERE}" in rewritten  # not imported (a different value is stored)
    assert "Deleted them from" in run.out


def test_delete_imported_keeps_crlf_line_endings(tmp_path):
    path = tmp_path / ".env"
    path.write_bytes(f"DEBUG=1\r\nOPENAI_API_KEY={OPENAI}\r\nOTHER=2\r\n".encode())
    import_env(path, "--delete-imported")
    assert path.read_bytes() == b"DEBUG=1\r\n# moved to keyvault: openai_api_key\r\nOTHER=2\r\n"


def test_delete_imported_keeps_failed_lines(tmp_path):
    path = tmp_path / ".env"
    path.write_text(f"OPENAI_API_KEY=short\nGROQ_API_KEY={GROQ}\n")

    run = import_env(path, "--delete-imported")

    assert run.exit_code == 1
    assert "openai_api_key  failed: The key is too short" in run.out
    assert path.read_text() == "OPENAI_API_KEY=short\n# moved to keyvault: groq_api_key\n"


def test_delete_imported_refuses_a_file_changed_meanwhile(tmp_path):
    path = tmp_path / ".env"
    path.write_text(f"OPENAI_API_KEY={OPENAI}\n")
    read = path.read_text()
    path.write_text(f"OPENAI_API_KEY={OPENAI}\nNEW=1\n")
    with pytest.raises(SourceError, match="changed while it was being imported"):
        rewrite_file(path, read, {1: "openai_api_key"})
    assert path.read_text().endswith("NEW=1\n")


def test_delete_imported_follows_a_symlink(tmp_path):
    real = tmp_path / "shared.env"
    real.write_text(f"OPENAI_API_KEY={OPENAI}\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    import_env(link, "--delete-imported")
    assert link.is_symlink()
    assert real.read_text() == "# moved to keyvault: openai_api_key\n"


def test_reads_standard_input():
    run = import_env("-", stdin=f"export OPENAI_API_KEY={OPENAI}\n")
    assert run.exit_code == 0, run.text
    assert "[standard input line 1]" in run.out
    assert Setting.objects.get_value("openai_api_key") == OPENAI


def test_delete_imported_needs_a_file():
    run = import_env("-", "--delete-imported", stdin=f"OPENAI_API_KEY={OPENAI}\n")
    assert "cannot rewrite stdin" in str(run.error)
    assert not Setting.objects.exists()


def test_replace_overwrites_an_existing_setting(tmp_path):
    Setting.objects.create(
        key="openai_api_key", value="sk-proj-old-value-000000001", provider="openai"
    )
    path = tmp_path / ".env"
    path.write_text(f"OPENAI_API_KEY={OPENAI}\n")

    kept = import_env(path)
    assert "different value; kept" in kept.out
    assert Setting.objects.get_value("openai_api_key") == "sk-proj-old-value-000000001"

    import_env(path, "--replace")
    assert Setting.objects.get_value("openai_api_key") == OPENAI


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("OPENAI_API_KEY=${PROD_OPENAI_KEY}\n", "refers to another variable"),
        (f"OPENAI_API_KEY={OPENAI}\nOPENAI_API_KEY={OPENAI}x\n", "defined on lines 1, 2"),
        ("OPENAI_API_KEY=sk-admin-0123456789abcdef0123\n", "Refused: this is an OpenAI admin key"),
        ("ANTHROPIC_API_KEY=tiny\n", "The key is too short (4 characters)"),
    ],
)
def test_bad_entries_fail_and_exit_non_zero(tmp_path, text, reason):
    path = tmp_path / ".env"
    path.write_text(text + f"GROQ_API_KEY={GROQ}\n")

    run = import_env(path)

    assert run.exit_code == 1
    assert reason in run.out
    assert list(Setting.objects.values_list("key", flat=True)) == ["groq_api_key"]


def test_unparsable_lines_are_reported_and_left_alone(tmp_path):
    path = tmp_path / ".env"
    path.write_text(f"this is not a statement\nOPENAI_API_KEY={OPENAI}\n")
    run = import_env(path, "--delete-imported")
    assert "Not parsed by python-dotenv, left alone: line(s) 1." in run.out
    assert path.read_text() == "this is not a statement\n# moved to keyvault: openai_api_key\n"


def test_missing_file_is_a_clear_error(tmp_path):
    run = import_env(tmp_path / "absent.env")
    assert "Cannot read" in str(run.error) and "No such file" in str(run.error)


def test_parse_reports_the_line_each_name_is_on():
    env = parse_env("# c\n\n\nA_TOKEN=x\nexport B_TOKEN='y'\n", "t")
    assert [(entry.name, entry.line) for entry in env.entries] == [("A_TOKEN", 4), ("B_TOKEN", 5)]


# --- crafted values (issue 22, item 12) ----------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["$kv1$abcdefghijklmnopqrstuvwxyz012345", "'$kv$1$2$3$4$5$6$7$8'"]
)
def test_a_value_that_looks_like_ciphertext_fails_alone(tmp_path, value):
    path = tmp_path / ".env"
    path.write_text(f"CO_API_KEY={value}\nGROQ_API_KEY={GROQ}\n")

    run = import_env(path)

    assert run.exit_code == 1 and "Traceback" not in run.err
    assert "co_api_key  failed" in run.out
    assert list(Setting.objects.values_list("key", flat=True)) == ["groq_api_key"]
    event = AuditEvent.objects.get(action=AuditAction.IMPORTED, setting_key="")
    assert event.details["failed_count"] == 1 and event.details["imported"] == 1


def test_a_value_refused_at_the_write_fails_its_row_only():
    from settings_app.importers.plan import PlanItem, Status
    from settings_app.importers.service import apply_plan

    refused = PlanItem("co_api_key", "cohere", "x line 1", Status.IMPORT, value="$kv-crafted-value")
    fine = PlanItem("groq_api_key", "groq", "x line 2", Status.IMPORT, value=GROQ)
    first, second = apply_plan([refused, fine], replace_existing=False)
    assert first.status is Status.FAILED and "reserved" in first.detail and first.value is None
    assert second.done and Setting.objects.get_value("groq_api_key") == GROQ


def test_a_byte_order_mark_at_the_start_of_a_value_is_not_imported(tmp_path):
    path = tmp_path / ".env"
    text = f"GROQ_API_KEY=\ufeff{GROQ}\nOPENAI_API_KEY='\ufeff{OPENAI}'\n"
    path.write_text(text, encoding="utf-8")
    run = import_env(path)
    assert run.exit_code == 0, run.out
    assert Setting.objects.get_value("groq_api_key") == GROQ
    assert Setting.objects.get_value("openai_api_key") == OPENAI


def test_a_dry_run_costs_the_same_queries_for_any_number_of_lines():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from settings_app.importers import service

    Setting.objects.set_value("service_3_api_key", "sk-value-000003-abcdefghijklmnopqrstuvwx")

    def queries(lines: int) -> int:
        text = "".join(
            f"SERVICE_{i}_API_KEY=sk-value-{i:06d}-abcdefghijklmnopqrstuvwx\n" for i in range(lines)
        )
        with CaptureQueriesContext(connection) as captured:
            report = service.import_env(parse_env(text, ".env"), include_all=True, dry_run=True)
        assert len(report.items) == lines
        return len(captured.captured_queries)

    assert queries(400) == queries(40)  # a 10,000-line file is planned in as few queries
