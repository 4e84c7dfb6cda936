"""Bad envelopes and documents, and verification's transport failures, each named clearly."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import httpx
import pytest
from django.core.exceptions import ValidationError

from settings_app.credentials import envelope, http
from settings_app.credentials.document import read_service_account
from settings_app.credentials.value import Credential
from settings_app.credentials.verifiers import check_credential

from . import samples


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a valid envelope"),
        ('{"config":{},"schema":"nope/1","secrets":{}}', "schema is unknown"),
        ('{"config":{},"schema":"bedrock/9","secrets":{}}', "schema is unknown"),
        ('{"config":{"region":1},"schema":"bedrock/1","secrets":{}}', "must be text"),
    ],
)
def test_a_bad_stored_envelope_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        envelope.loads(text)


def test_unknown_fields_and_providers_are_refused() -> None:
    with pytest.raises(ValidationError, match="have no field 'colour'"):
        envelope.build("bedrock", {**samples.BEDROCK, "colour": "blue"})
    with pytest.raises(ValidationError, match="not a structured provider"):
        envelope.build("mistral", {"api_key": "x"})


def test_an_envelope_never_shows_its_secrets_in_repr() -> None:
    built = envelope.build("bedrock", samples.BEDROCK)
    assert samples.AWS_SECRET not in repr(built)


def test_a_huge_or_odd_document_is_refused() -> None:
    with pytest.raises(ValidationError, match="over 16 KB"):
        read_service_account("x" * 20_000)
    odd = json.dumps({"type": "service_account", "project_id": 5})
    with pytest.raises(ValidationError, match="must be text"):
        read_service_account(odd)


def credential(provider: str, fields: dict[str, str], secrets: tuple[str, ...]) -> Credential:
    config = {k: v for k, v in fields.items() if k not in secrets}
    return Credential(
        provider,
        MappingProxyType(config),
        MappingProxyType({k: fields[k] for k in secrets}),
    )


def test_a_suffix_outside_the_list_is_never_contacted() -> None:
    tampered = credential(
        "azure_openai", {**samples.AZURE, "endpoint_suffix": "evil.example"}, ("api_key",)
    )
    result = check_credential(tampered)
    assert result.status == "invalid" and "Nothing was sent" in result.detail


def answering(status: int, **kwargs: Any) -> httpx.Client:
    return httpx.Client(
        transport=httpx.MockTransport(lambda request: httpx.Response(status, **kwargs))
    )


def failing(error: Exception) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("client", "detail"),
    [
        (failing(httpx.ReadTimeout("slow")), "No answer from"),
        (failing(httpx.ConnectError("refused")), "failed (ConnectError)"),
        (answering(302, headers={"Location": "https://evil.example/"}), "redirect"),
        (answering(500), "unexpected answer"),
        (answering(200, content=b"x" * (http.MAX_BODY_BYTES + 10)), "accepted"),
    ],
)
def test_transport_trouble_is_unreachable_never_invalid(client: httpx.Client, detail: str) -> None:
    azure = credential("azure_openai", samples.AZURE, ("api_key",))
    result = check_credential(azure, client=client)
    assert detail in result.detail
    assert result.status == ("valid" if detail == "accepted" else "unreachable")
    assert samples.AZURE_KEY not in result.detail


def test_a_body_that_is_not_json_reads_as_nothing() -> None:
    assert http.Answer(200, {}, b"[1, 2]").json() == {}
    assert http.Answer(200, {}, b"<html>").json() == {}
