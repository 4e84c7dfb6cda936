"""Key verification asks each provider exactly as it expects, and reads its answer carefully."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import httpx
import pytest

from settings_app.models import Setting, VerificationStatus
from settings_app.providers import PROVIDERS, Provider
from settings_app.providers import client as provider_client
from settings_app.providers.classification import VerificationResult
from settings_app.providers.client import check_key
from settings_app.providers.verification import verify_setting
from tests.support.provider_server import ProviderServer, cohere_valid_body, provider_server_fixture  # noqa: F401

KEY = "sk-proj-TOPSECRET-0123456789abcdef"
OPENAI = PROVIDERS["openai"]
ALL_PROVIDERS = pytest.mark.parametrize("provider", list(PROVIDERS.values()), ids=list(PROVIDERS))

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def mock_client() -> Iterator[Callable[[Handler], httpx.Client]]:
    """Clients whose every request is answered by a handler, closed after the test."""
    clients: list[httpx.Client] = []

    def make(handler: Handler) -> httpx.Client:
        clients.append(httpx.Client(transport=httpx.MockTransport(handler)))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


def answering(status: int, body: bytes = b"", **headers: str) -> Handler:
    return lambda request: httpx.Response(status, content=body, headers=headers)


def key_for(provider: Provider, body: str = "TOPSECRET-0123456789abcdef") -> str:
    """A key that looks like `provider`'s own (a key with another's prefix is never sent)."""
    return (provider.key_prefixes or ("",))[0] + body


def expected_auth(provider: Provider, key: str) -> str:
    return f"{provider.auth_scheme} {key}" if provider.auth_scheme else key


# --- against a real server ---------------------------------------------------------------------
@ALL_PROVIDERS
def test_each_provider_is_asked_with_its_exact_method_path_and_headers(
    provider: Provider, provider_server: ProviderServer
) -> None:
    key = key_for(provider)
    provider_server.accept(key, body=cohere_valid_body())

    result = check_key(provider, key)

    assert result == VerificationResult("valid", "HTTP 200: the provider accepted the key.")
    (sent,) = provider_server.requests
    assert (sent.method, sent.path) == (provider.verify_method, provider.verify_path)
    assert sent.headers[provider.auth_header.lower()] == expected_auth(provider, key)
    for name, value in provider.extra_headers:
        assert sent.headers[name.lower()] == value
    others = {"authorization", "x-api-key", "x-goog-api-key"} - {provider.auth_header.lower()}
    assert not others & sent.headers.keys(), "the key went out in a second header"


@ALL_PROVIDERS
def test_each_provider_refusing_a_key_makes_it_invalid(
    provider: Provider, provider_server: ProviderServer
) -> None:
    provider_server.accept(key_for(provider))

    result = check_key(provider, key_for(provider, "some-other-key-42"))

    assert result.status == "invalid"
    assert provider_server.requests[0].key == key_for(provider, "some-other-key-42")


@pytest.mark.django_db
def test_verify_setting_records_status_detail_and_time(provider_server: ProviderServer) -> None:
    provider_server.accept(KEY, status=403)
    setting = Setting.objects.create(key="openai_api_key", value=KEY, provider="openai")

    result = verify_setting(setting)

    setting.refresh_from_db()
    assert result.status == setting.verification_status == "restricted"
    assert (
        setting.verification_detail
        == result.detail
        == ("HTTP 403: the key is valid but restricted (permission denied).")
    )
    assert setting.last_verified_at is not None


@pytest.mark.django_db
def test_a_provider_keyvault_does_not_know_is_recorded_as_unverified(
    mock_client: Callable[[Handler], httpx.Client],
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent for an unknown provider")

    setting = Setting.objects.create(key="internal_token", value=KEY, provider="other")

    result = verify_setting(setting, client=mock_client(fail))

    setting.refresh_from_db()
    assert setting.verification_status == result.status == "unverified"
    assert "'other' is unknown" in setting.verification_detail
    assert "cannot be verified" in setting.verification_detail
    assert setting.last_verified_at is not None


def test_a_redirect_is_not_followed(provider_server: ProviderServer) -> None:
    elsewhere = provider_server.base_url("anthropic") + "/v1/models"
    provider_server.accept(KEY, status=302, headers=(("Location", elsewhere),))

    result = check_key(OPENAI, KEY)

    assert result.status == "unreachable"
    assert "redirect, which is not followed" in result.detail
    assert len(provider_server.requests) == 1


def test_the_base_url_comes_from_configuration_at_call_time(
    settings, provider_server: ProviderServer
) -> None:
    del settings.KEYVAULT_OPENAI_BASE_URL
    assert provider_client.base_url(OPENAI) == "https://api.openai.com"

    settings.KEYVAULT_OPENAI_BASE_URL = provider_server.base_url("openai") + "/"
    provider_server.accept(KEY)

    assert check_key(OPENAI, KEY).status == "valid"
    assert provider_server.requests[0].path == "/v1/models"


def test_the_key_never_reaches_a_log_record_even_at_debug_level(
    caplog: pytest.LogCaptureFixture, provider_server: ProviderServer
) -> None:
    provider_server.accept(KEY, status=500)
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore"):  # quiet by default in settings.LOGGING
        caplog.set_level(logging.DEBUG, logger=name)

    anthropic_key = key_for(PROVIDERS["anthropic"])
    check_key(OPENAI, KEY)
    check_key(PROVIDERS["anthropic"], anthropic_key)

    assert len(provider_server.requests) == 2
    assert caplog.records, "httpx/httpcore should have logged the requests"
    assert not [r for r in caplog.records if KEY in r.getMessage()]
    assert not [r for r in caplog.records if anthropic_key in r.getMessage()]


# --- every kind of answer, through httpx.MockTransport -----------------------------------------
@pytest.mark.parametrize(
    ("provider", "status", "body", "expected"),
    [
        ("openai", 200, b"{}", "valid"),
        ("openai", 204, b"", "valid"),
        ("openai", 401, b'{"error": "invalid_api_key"}', "invalid"),
        ("openai", 403, b"", "restricted"),
        ("deepseek", 402, b'{"error": "Insufficient Balance"}', "no_quota"),
        ("openai", 429, b'{"error": {"code": "insufficient_quota"}}', "no_quota"),
        ("openai", 429, b'{"error": {"code": "rate_limit_exceeded"}}', "unreachable"),
        ("openai", 500, b"", "unreachable"),
        ("anthropic", 529, b'{"type": "overloaded_error"}', "unreachable"),
        ("openai", 302, b"", "unreachable"),
        ("openai", 404, b"", "unreachable"),
        ("openai", 400, b"API_KEY_INVALID", "unreachable"),
        ("cohere", 200, b'{"valid": false}', "invalid"),
        ("cohere", 200, b'{"valid": true}', "valid"),
        ("cohere", 200, b"not json", "valid"),
        ("cohere", 401, b"", "invalid"),
        ("gemini", 400, b'{"error": {"details": [{"reason": "API_KEY_INVALID"}]}}', "invalid"),
        ("gemini", 400, b'{"error": {"status": "INVALID_ARGUMENT"}}', "unreachable"),
    ],
)
def test_answers_are_classified(
    provider: str,
    status: int,
    body: bytes,
    expected: str,
    mock_client: Callable[[Handler], httpx.Client],
) -> None:
    client = mock_client(answering(status, body))
    result = check_key(PROVIDERS[provider], key_for(PROVIDERS[provider]), client=client)

    assert result.status == expected
    assert result.detail.startswith(f"HTTP {status}: ")
    assert body.decode() not in result.detail or not body


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectTimeout, "No answer from api.openai.com within 10 s; try again later."),
        (httpx.ReadTimeout, "No answer from api.openai.com within 10 s; try again later."),
        (httpx.ConnectError, "Could not connect to api.openai.com; try again later."),
        (httpx.RemoteProtocolError, "The request to api.openai.com failed (RemoteProtocolError)"),
        (httpx.ProxyError, "The request to api.openai.com failed (ProxyError); try again later."),
    ],
)
def test_transport_failures_are_unreachable_and_never_quote_the_error(
    error: type[httpx.TransportError],
    expected: str,
    mock_client: Callable[[Handler], httpx.Client],
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error(f"failed {request.url} with {request.headers['authorization']}")

    result = check_key(OPENAI, KEY, client=mock_client(fail))

    assert result.status == "unreachable"
    assert result.detail.startswith(expected)
    assert KEY not in result.detail


@pytest.mark.parametrize("url", ["ftp://proxy.internal", "no scheme", "http://[::1"])
def test_a_bad_configured_base_url_is_reported_without_sending(settings, url: str) -> None:
    settings.KEYVAULT_OPENAI_BASE_URL = url

    result = check_key(OPENAI, KEY)

    assert result.status == "unreachable"
    assert "check KEYVAULT_OPENAI_BASE_URL" in result.detail


@pytest.mark.parametrize("key", ["", "sk-proj-abc\ndef", "sk-proj-ab cd", "sk-proj-caf\u00e9"])
def test_a_key_no_header_can_carry_is_invalid_and_not_sent(
    key: str, mock_client: Callable[[Handler], httpx.Client]
) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing may be sent")

    result = check_key(OPENAI, key, client=mock_client(fail))

    assert result.status == "invalid"
    assert "nothing was sent" in result.detail


def test_redirects_are_not_followed_even_by_a_client_that_would(
    mock_client: Callable[[Handler], httpx.Client],
) -> None:
    seen: list[httpx.URL] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(307, headers={"Location": "https://attacker.example/steal"})

    client = mock_client(redirect)
    client.follow_redirects = True

    assert check_key(OPENAI, KEY, client=client).status == "unreachable"
    assert seen == [httpx.URL("https://api.openai.com/v1/models")]


def test_the_default_client_times_out_after_10_seconds_and_never_follows_redirects() -> None:
    client = provider_client.get_client()

    assert client is provider_client.get_client()
    assert client.timeout == httpx.Timeout(10.0)
    assert client.follow_redirects is False


def test_a_huge_answer_is_read_only_in_part(
    mock_client: Callable[[Handler], httpx.Client],
) -> None:
    body = b"x" * (provider_client.MAX_BODY_BYTES * 4) + b"insufficient_quota"

    result = check_key(OPENAI, KEY, client=mock_client(answering(429, body)))

    assert result.status == "unreachable"


# --- a transient failure never turns a key invalid ---------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("previous", ["valid", "restricted", "no_quota"])
@pytest.mark.parametrize("answer", [answering(500), answering(429), answering(302)])
def test_a_transient_failure_is_unreachable_and_names_the_previous_status(
    previous: str, answer: Handler, mock_client: Callable[[Handler], httpx.Client]
) -> None:
    setting = Setting.objects.create(key="openai_api_key", value=KEY, provider="openai")
    setting.record_verification(previous, "HTTP 200: the provider accepted the key.")

    result = verify_setting(setting, client=mock_client(answer))

    setting.refresh_from_db()
    assert setting.verification_status == "unreachable"
    assert setting.verification_detail == result.detail
    assert result.detail.endswith(f"Previously: {VerificationStatus(previous).label}.")


@pytest.mark.django_db
def test_an_unreachable_check_after_unverified_names_no_previous_status(
    mock_client: Callable[[Handler], httpx.Client],
) -> None:
    setting = Setting.objects.create(key="openai_api_key", value=KEY, provider="openai")

    result = verify_setting(setting, client=mock_client(answering(503)))

    assert result.detail == "HTTP 503: the provider had an error; try again later."


# --- a key is only ever sent to the provider it looks like -------------------------------------
@pytest.mark.parametrize(
    ("provider", "prefix", "looks_like"),
    [
        ("openai", "xai-", "xAI"),
        ("openai", "sk-ant-api", "Anthropic"),
        ("openai", "sk-ant-admin", "Anthropic"),
        ("openai", "sk-or-", "OpenRouter"),
        ("deepseek", "sk-proj-", "OpenAI"),
        ("anthropic", "sk-proj-", "OpenAI"),
        ("xai", "sk-", "OpenAI or DeepSeek"),
        ("mistral", "AIza", "Google Gemini"),
        ("cohere", "gsk_", "Groq"),
    ],
)
def test_a_key_whose_prefix_contradicts_its_provider_is_never_sent(
    provider: str, prefix: str, looks_like: str, provider_server: ProviderServer
) -> None:
    key = prefix + "03-" + "Q" * 40
    provider_server.accept(key)

    result = check_key(PROVIDERS[provider], key)

    assert provider_server.requests == []
    assert result.status == "invalid"
    assert result.detail == (
        f"The key starts with '{prefix}' like {looks_like} keys, not like "
        f"{PROVIDERS[provider].name} keys, so it was not sent. Check the provider, or paste "
        "the right key."
    )


@pytest.mark.parametrize(
    ("provider", "key"),
    [
        ("openai", "sk-" + "Q" * 40),
        ("openai", "sk-proj-" + "Q" * 40),
        ("deepseek", "sk-" + "Q" * 40),
        ("anthropic", "sk-ant-api03-" + "Q" * 40),
        ("openrouter", "sk-or-v1-" + "Q" * 40),
        ("mistral", "Q" * 32),
        ("cohere", "Q" * 40),
    ],
)
def test_a_key_that_fits_its_provider_is_sent(
    provider: str, key: str, provider_server: ProviderServer
) -> None:
    provider_server.accept(key, body=cohere_valid_body())

    assert check_key(PROVIDERS[provider], key).status == "valid"
    assert [sent.key for sent in provider_server.requests] == [key]


@pytest.mark.django_db
def test_a_stored_key_moved_to_another_provider_is_not_sent_there(
    provider_server: ProviderServer,
) -> None:
    setting = Setting.objects.create(key="openai_api_key", value=KEY, provider="openai")
    Setting.objects.filter(pk=setting.pk).update(provider="xai")  # past the form
    setting.refresh_from_db()

    result = verify_setting(setting)

    assert provider_server.requests == []
    assert result.status == "invalid"
    assert result.detail.startswith("The key starts with 'sk-proj-' like OpenAI keys, not like xAI")
