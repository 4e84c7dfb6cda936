"""`keyvault run`, `keyvault get --field` and the client with structured credentials, end to end.

The real read API on live_server; `keyvault` in real subprocesses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

import pytest

from keyvault_client import Client, Credential, StructuredCredential
from settings_app.api import services
from settings_app.credentials.services import set_credential
from settings_app.models import Setting
from tests.client.conftest import ApiTarget, run_keyvault
from tests.conftest import ROOT

from . import samples

pytestmark = pytest.mark.slow
OPENAI_KEY = "sk-proj-credentials-client-0123456789"

CHILD_SHOWS_ENVIRONMENT = """
import json, os, stat, sys
path = os.environ["GOOGLE_APPLICATION_CREDENTIALS"]
document = json.load(open(path))
print(json.dumps({
    "path": path,
    "mode": oct(stat.S_IMODE(os.stat(path).st_mode)),
    "email": document["client_email"],
    "key_ok": document["private_key"] == os.environ["EXPECTED_KEY"],
    "env": {n: os.environ.get(n) for n in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION",
                                           "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION")},
}))
print("key:", os.environ["AZURE_OPENAI_API_KEY"])
"""


@pytest.fixture
def credentials_api(live_server: Any, transactional_db: None) -> ApiTarget:
    set_credential("azure", "azure_openai", samples.AZURE)
    set_credential("vertex", "vertex_ai", samples.vertex_fields())
    Setting.objects.set_value("openai_api_key", OPENAI_KEY)
    created = services.create_token("credential-tests", ["azure", "vertex", "openai_api_key"])
    return ApiTarget(live_server.url, created.secret, {}, "none")


def keyvault(target: ApiTarget, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {"EXPECTED_KEY": samples.private_key_pem()}
    return run_keyvault(*args, url=target.url, token=target.token, env=env, **kwargs)


def test_run_injects_env_and_a_private_file_removed_at_exit(credentials_api: ApiTarget) -> None:
    done = keyvault(credentials_api, "run", "--", sys.executable, "-c", CHILD_SHOWS_ENVIRONMENT)
    assert done.returncode == 0, done.stderr
    report, key_line = done.stdout.splitlines()
    shown = json.loads(report)
    assert shown["mode"] == "0o600" and shown["key_ok"] is True
    assert shown["email"] == samples.CLIENT_EMAIL
    assert shown["env"] == {
        "GOOGLE_CLOUD_PROJECT": "my-project-123",
        "GOOGLE_CLOUD_LOCATION": "us-central1",
        "AZURE_OPENAI_ENDPOINT": "https://contoso-eastus.openai.azure.com/",
        "OPENAI_API_VERSION": "2024-10-21",
    }
    assert key_line == "key: ***"  # the secret field is masked in the child's output
    assert not os.path.exists(shown["path"])


def test_credential_chooses_what_is_injected(credentials_api: ApiTarget) -> None:
    prefixes = ("AZURE", "GOOGLE", "OPENAI_API_KEY")  # not the single key: it was not asked for
    child = f"import os; print(sorted(n for n in os.environ if n.startswith({prefixes!r})))"
    done = keyvault(
        credentials_api, "run", "--credential", "azure", "--", sys.executable, "-c", child
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(
        ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT", "AZURE_OPENAI_ENDPOINT"]
    )


def test_env_mapping_of_a_structured_credential_says_to_use_credential(
    credentials_api: ApiTarget,
) -> None:
    done = keyvault(credentials_api, "run", "--env", "KEY=azure", "--", "true")
    assert done.returncode == 64
    assert "--credential azure" in done.stderr


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_the_file_is_removed_when_keyvault_is_signalled(
    credentials_api: ApiTarget, number: signal.Signals, tmp_path: Any
) -> None:
    child = (
        "import os, sys; print(os.environ['GOOGLE_APPLICATION_CREDENTIALS'], flush=True); "
        "sys.stdin.readline()"  # waits until the forwarded signal ends it
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "keyvault_client", "run", "--credential", "vertex", "--",
         sys.executable, "-c", child],
        env={"PATH": os.environ["PATH"], "KEYVAULT_URL": credentials_api.url,
             "KEYVAULT_TOKEN": credentials_api.token},
        cwd=ROOT, text=True, start_new_session=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    path = process.stdout.readline().strip()
    assert os.path.exists(path)
    process.send_signal(number)  # forwarded: the child dies of it, then keyvault cleans up
    # stdin stays open until then (communicate() would close it first, and the child could end
    # on that instead, with 0, on a busy machine): only the forwarded signal can end the child.
    process.wait(timeout=60)
    process.communicate()
    assert process.returncode == 128 + number
    assert not os.path.exists(path)


def test_get_field_prints_one_field(credentials_api: ApiTarget) -> None:
    done = keyvault(credentials_api, "get", "azure", "--field", "resource_name")
    assert (done.returncode, done.stdout) == (0, "contoso-eastus\n")
    secret = keyvault(credentials_api, "get", "azure", "--field", "api_key")
    assert secret.stdout == samples.AZURE_KEY + "\n"


def test_get_of_a_structured_credential_without_field_says_how(credentials_api: ApiTarget) -> None:
    done = keyvault(credentials_api, "get", "azure")
    assert done.returncode == 64 and "--field NAME" in done.stderr
    assert samples.AZURE_KEY not in done.stderr
    unknown = keyvault(credentials_api, "get", "azure", "--field", "nope")
    assert unknown.returncode == 64 and "resource_name" in unknown.stderr


def test_the_client_library_reads_a_credential(credentials_api: ApiTarget) -> None:
    with Client(credentials_api.url, credentials_api.token) as client:
        with pytest.raises(StructuredCredential, match="get_credential"):
            client.get("azure")
        credential = client.get_credential("azure")
        assert isinstance(credential, Credential)
        assert credential.env["AZURE_OPENAI_API_KEY"] == samples.AZURE_KEY
        assert samples.AZURE_KEY not in repr(credential)
        single = client.get_credential("openai_api_key")
        assert (single.fields, single.secrets) == ({"api_key": OPENAI_KEY}, [OPENAI_KEY])
    assert Setting.objects.filter(key="azure").exists()
