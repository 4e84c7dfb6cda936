"""The client over HTTPS with a private CA: KEYVAULT_CA_FILE (or SSL_CERT_FILE) names it; a
certificate nothing trusted is refused with a message that says so, by both transports."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyvault_client import Client, ConfigurationError
from tests.client.api_server import ApiServer
from tests.client.conftest import new_token, run_keyvault
from tests.deploy.servers import Certificates, make_certificates

VALUE = "sk-proj-" + "Tls4Canary8Nv3Lc2Rw6Xk1Hm5Jd9Pf4Gs0Ya"
NOT_TRUSTED = "presented a certificate that was not trusted"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_api(certificates: Certificates) -> Iterator[ApiServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates.certificate, certificates.key)
    with ApiServer.running_tls(new_token(), context, openai_api_key=VALUE) as server:
        yield server


def test_the_library_trusts_keyvault_ca_file(
    https_api: ApiServer, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYVAULT_CA_FILE", str(certificates.ca))
    with Client(https_api.url, https_api.token) as client:
        assert client.get("openai_api_key") == VALUE


@pytest.mark.parametrize("variable", ["KEYVAULT_CA_FILE", "SSL_CERT_FILE"])
def test_the_command_trusts_either_variable(
    https_api: ApiServer, certificates: Certificates, variable: str
) -> None:
    done = run_keyvault("get", "openai_api_key", url=https_api.url, token=https_api.token,
                        env={variable: str(certificates.ca)})  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, VALUE), done.stderr


@pytest.mark.parametrize("ca", ["other", "system"])
def test_an_untrusted_certificate_is_named_by_the_library(
    https_api: ApiServer, certificates: Certificates, monkeypatch: pytest.MonkeyPatch, ca: str
) -> None:
    if ca == "other":
        monkeypatch.setenv("KEYVAULT_CA_FILE", str(certificates.other_ca))
    with (
        Client(https_api.url, https_api.token) as client,
        pytest.raises(ConfigurationError, match=NOT_TRUSTED) as raised,
    ):
        client.get("openai_api_key")
    assert "KEYVAULT_CA_FILE" in str(raised.value) and https_api.token not in str(raised.value)


def test_an_untrusted_certificate_is_named_by_the_command(
    https_api: ApiServer, certificates: Certificates
) -> None:
    done = run_keyvault("get", "openai_api_key", url=https_api.url, token=https_api.token,
                        env={"KEYVAULT_CA_FILE": str(certificates.other_ca)})  # fmt: skip
    assert done.returncode != 0 and done.stdout == ""
    assert NOT_TRUSTED in done.stderr and "Traceback" not in done.stderr
    assert https_api.token not in done.stderr


@pytest.mark.parametrize("content", [None, "not a certificate\n"])
def test_an_unreadable_ca_file_is_a_configuration_error(
    https_api: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None
) -> None:
    ca_file = tmp_path / "ca.pem"
    if content is not None:
        ca_file.write_text(content)
    monkeypatch.setenv("KEYVAULT_CA_FILE", str(ca_file))
    with (
        pytest.raises(ConfigurationError, match=r"KEYVAULT_CA_FILE is .*cannot be read as PEM"),
        Client(https_api.url, https_api.token) as client,
    ):
        client.get("openai_api_key")
