"""`import_env` groups known families of variables into one structured credential."""

from __future__ import annotations

import pytest

from settings_app.models import Setting
from tests.importers.conftest import run_command

from . import samples

pytestmark = pytest.mark.django_db

ENV_TEXT = f"""DEBUG=true
AZURE_OPENAI_API_KEY={samples.AZURE_KEY}
AZURE_OPENAI_ENDPOINT=https://contoso-eastus.openai.azure.com/
OPENAI_API_VERSION=2024-10-21
AZURE_OPENAI_DEPLOYMENT=gpt-4o
AWS_ACCESS_KEY_ID={samples.BEDROCK["access_key_id"]}
AWS_SECRET_ACCESS_KEY={samples.AWS_SECRET}
AWS_REGION=us-east-1
"""


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text(ENV_TEXT)
    return path


def test_families_become_one_credential_each_and_the_report_says_so(env_file) -> None:
    run = run_command("import_env", str(env_file))
    assert samples.AZURE_KEY not in run.text and samples.AWS_SECRET not in run.text
    assert "grouped AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION, " in run.text
    assert "grouped AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION" in run.text
    assert "api_key=…cdef" in run.text
    azure = Setting.objects.get_credential("azure_openai")
    bedrock = Setting.objects.get_credential("aws_bedrock")
    assert azure is not None and bedrock is not None
    assert azure.fields == samples.AZURE
    assert bedrock.fields == samples.BEDROCK
    assert set(Setting.objects.values_list("key", flat=True)) == {"azure_openai", "aws_bedrock"}


def test_grouped_lines_are_all_deletable(env_file) -> None:
    run_command("import_env", str(env_file), "--delete-imported")
    left = env_file.read_text()
    assert samples.AZURE_KEY not in left and samples.AWS_SECRET not in left
    assert "DEBUG=true" in left and "us-east-1" not in left


def test_no_group_keeps_them_apart(env_file) -> None:
    run = run_command("import_env", str(env_file), "--no-group", "--all")
    assert "grouped" not in run.text
    keys = set(Setting.objects.values_list("key", flat=True))
    assert "azure_openai_api_key" in keys and "azure_openai" not in keys


def test_a_family_missing_a_member_names_it(tmp_path) -> None:
    path = tmp_path / ".env"
    path.write_text(f"AZURE_OPENAI_API_KEY={samples.AZURE_KEY}\nOPENAI_API_VERSION=2024-10-21\n")
    run = run_command("import_env", str(path))
    assert (
        "AZURE_OPENAI_ENDPOINT is not an https://<resource>.openai.azure.com endpoint" in run.text
    )
    assert not Setting.objects.exists()


def test_an_endpoint_on_another_host_is_refused(tmp_path) -> None:
    path = tmp_path / ".env"
    text = ENV_TEXT.replace("contoso-eastus.openai.azure.com", "httpbin.org")
    path.write_text(text)
    run = run_command("import_env", str(path))
    assert "not an https://<resource>.openai.azure.com endpoint" in run.text
    assert not Setting.objects.filter(key="azure_openai").exists()
