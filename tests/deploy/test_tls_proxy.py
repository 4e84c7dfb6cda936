"""The production chain, end to end: client -> nginx (TLS, deploy/nginx) -> gunicorn
(deploy/serve.sh, KEYVAULT_TRUSTED_PROXY_COUNT=1) -> PostgreSQL or SQLite, and a provider
called through the gateway.

One slow test walks it the way an operator and a service would: HTTP is redirected, HSTS is
sent, an admin signs in, lockouts and the audit trail see the client's address (not nginx's),
`keyvault get` / `keyvault run` trust the throwaway CA and refuse another, a gateway stream
arrives chunk by chunk and a large prompt passes, /readyz and /metrics answer through the
proxy, and every log line is JSON carrying its request id.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyotp
import pytest

from tests.conftest import ROOT, run_manage
from tests.deploy import servers
from tests.deploy.gated_provider import GATE_DEADLINE, USAGE, GatedProvider
from tests.gateway.servers import serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(servers.nginx_binary() is None, reason="nginx is not installed "
                       "(scripts/install-nginx.sh installs it, as .ci/run does)"),
]  # fmt: skip

VALUE = "sk-proj-" + "Pr0xyCanary7Tz3Nv8Lc2Rw6Xk1Hm5Jd9Pf4Gs0Ya" * 2
METRICS_TOKEN = "metrics-" + "Qv8Lp3Zx7Rt2Wn6Kd1Hs5Jm9"
ADMIN_PASSWORD = "proxied-Admin-pass-4812"
ADMIN_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, as hex
CLIENT_ADDRESS = "127.0.0.2"  # the "client": a loopback address nginx is not connecting from
FORGED = "203.0.113.66"  # what a client claims in X-Forwarded-For: never believed
STREAMED_CHUNKS = 5
CHAT = "/gateway/openai_api_key/v1/chat/completions"


@pytest.fixture
def deployment(tmp_path: Path, database_url: str) -> Iterator[dict[str, object]]:
    """A migrated database with an admin, a setting and a token; gunicorn and nginx running."""
    env = {
        **servers.PRODUCTION_ENV,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(tmp_path / "static"),
        "BEHIND_TLS_PROXY": "true",
        "KEYVAULT_TRUSTED_PROXY_COUNT": "1",
        "KEYVAULT_LOG_FORMAT": "json",
        "KEYVAULT_METRICS_TOKEN": METRICS_TOKEN,
        "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD,
    }
    token = _prepare(env)
    certificates = servers.make_certificates(tmp_path / "tls")
    log = tmp_path / "gunicorn.log"
    provider = GatedProvider(STREAMED_CHUNKS)
    with (
        serving(provider, lifespan="off") as provider_url,
        # Only the server writes metrics files (serve.sh would pick a directory by itself).
        servers.running_gunicorn(
            {
                **env,
                "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
                "KEYVAULT_OPENAI_BASE_URL": provider_url,
            },
            log,
        ) as upstream,
        servers.running_nginx(tmp_path / "nginx", upstream, certificates) as proxy,
    ):
        servers.wait_until_ready(proxy.https, verify=trusting(certificates.ca))
        yield {"proxy": proxy, "certificates": certificates, "token": token, "env": env,
               "log": log, "provider": provider}  # fmt: skip


def trusting(ca: Path) -> ssl.SSLContext:
    """Certificate checks that trust the throwaway CA (and nothing else)."""
    return ssl.create_default_context(cafile=str(ca))


def _prepare(env: dict[str, str]) -> str:
    for command in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["collectstatic", "--noinput"],
        ["createsuperuser", "--noinput", "--username", "ops", "--email", "ops@example.com"],
        ["shell", "-c", "from settings_app.models import Setting; "
         f"Setting.objects.create(key='openai_api_key', value={VALUE!r}, provider='openai')"],
        ["shell", "-c", "from django.contrib.auth.models import User; "
         "from django_otp.plugins.otp_totp.models import TOTPDevice; "
         "TOTPDevice.objects.create(user=User.objects.get(username='ops'), name='phone', "
         f"key={ADMIN_TOTP_KEY!r}, confirmed=True)"],
    ):  # fmt: skip
        result = run_manage(*command, env=env)
        assert result.returncode == 0, result.stderr
        assert "AXES" not in result.stderr  # AXES_VERBOSE=False: no banner on every command
    created = run_manage("create_service_token", "billing-worker", "--scope", "openai_api_key",
                         "--gateway", "openai_api_key", env=env)  # fmt: skip
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def test_the_tls_proxy_chain(deployment: dict[str, object]) -> None:
    proxy: servers.Proxy = deployment["proxy"]  # type: ignore[assignment]
    certificates: servers.Certificates = deployment["certificates"]  # type: ignore[assignment]
    env: dict[str, str] = deployment["env"]  # type: ignore[assignment]
    provider: GatedProvider = deployment["provider"]  # type: ignore[assignment]
    ca = trusting(certificates.ca)

    _http_redirects_to_https_with_hsts(proxy, ca)
    _admin_signs_in_through_the_proxy(proxy, ca)
    _lockout_and_audit_see_the_client(proxy, ca, env)
    _client_reads_over_https(proxy, certificates, str(deployment["token"]))
    _gateway_streams_chunk_by_chunk(proxy, ca, str(deployment["token"]), provider)
    _large_prompts_pass_the_proxy(proxy, ca, str(deployment["token"]))
    _probes_and_metrics_answer_through_the_proxy(proxy, ca)
    _every_log_line_is_json_with_its_request_id(Path(str(deployment["log"])), deployment)


def _http_redirects_to_https_with_hsts(proxy: servers.Proxy, ca: ssl.SSLContext) -> None:
    plain = httpx.get(f"{proxy.http}/admin/login/?next=/admin/")
    assert plain.status_code == 301
    assert plain.headers["location"] == f"{proxy.https}/admin/login/?next=/admin/"
    login = httpx.get(f"{proxy.https}/admin/login/", verify=ca)
    assert login.status_code == 200
    assert login.headers.get_list("strict-transport-security") == [
        "max-age=31536000; includeSubDomains; preload"
    ]
    assert re.fullmatch(r"[0-9a-f]{32}", login.headers["x-request-id"])  # nginx's own id


def _admin_signs_in_through_the_proxy(proxy: servers.Proxy, ca: ssl.SSLContext) -> None:
    with httpx.Client(base_url=proxy.https, verify=ca) as browser:
        assert _log_in(browser, "ops", ADMIN_PASSWORD).status_code == 302
        # The password alone opens nothing: the second factor comes next, through the proxy too.
        assert browser.get("/admin/").headers["location"].startswith("/admin/2fa/verify/")
        code_page = browser.get("/admin/2fa/verify/?next=/admin/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', code_page.text)
        assert csrf, code_page.text
        code = pyotp.TOTP(base64.b32encode(bytes.fromhex(ADMIN_TOTP_KEY)).decode()).now()
        verified = browser.post(
            "/admin/2fa/verify/?next=/admin/",
            data={"csrfmiddlewaretoken": csrf.group(1), "code": code},
            headers={"Referer": f"{proxy.https}/admin/2fa/verify/", "Origin": proxy.https},
        )
        assert verified.status_code == 302, verified.text
        index = browser.get("/admin/")
        assert index.status_code == 200
        assert "logout-form" in index.text  # signed in: the page offers to sign out


def _log_in(browser: httpx.Client, username: str, password: str) -> httpx.Response:
    """Post the admin's login form as a browser does (Origin and Referer, CSRF token)."""
    form = browser.get("/admin/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    assert csrf, form.text
    origin = str(browser.base_url).rstrip("/")
    return browser.post(
        "/admin/login/?next=/admin/",
        data={"csrfmiddlewaretoken": csrf[1], "username": username, "password": password},
        headers={
            "Origin": origin,
            "Referer": f"{origin}/admin/login/",
            "X-Forwarded-For": FORGED,
        },
    )


def _lockout_and_audit_see_the_client(
    proxy: servers.Proxy, ca: ssl.SSLContext, env: dict[str, str]
) -> None:
    transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS, verify=ca)
    with httpx.Client(base_url=proxy.https, transport=transport) as attacker:
        answers = [_log_in(attacker, "ops", "wrong-password").status_code for _ in range(6)]
    assert answers[:4] == [200] * 4  # the form again, with an error
    assert answers[-1] == 429  # locked out
    seen = run_manage("shell", "-c", (
        "from axes.models import AccessAttempt; from settings_app.models import AuditEvent; "
        "print('SEEN', sorted({a.ip_address for a in AccessAttempt.objects.all()}), "
        "sorted({e.ip for e in AuditEvent.objects.filter(action='login_locked_out')}))"
    ), env=env)  # fmt: skip
    assert seen.returncode == 0, seen.stderr
    [line] = [line for line in seen.stdout.splitlines() if line.startswith("SEEN ")]
    assert line == f"SEEN ['{CLIENT_ADDRESS}'] ['{CLIENT_ADDRESS}']"


def _keyvault(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The client's command line, as a service runs it (standard library HTTP)."""
    return subprocess.run(
        [sys.executable, "-m", "keyvault_client", *args],
        env={"PATH": os.environ["PATH"], **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _client_reads_over_https(
    proxy: servers.Proxy, certificates: servers.Certificates, token: str
) -> None:
    base = {"KEYVAULT_URL": proxy.https, "KEYVAULT_TOKEN": token}
    by_setting = _keyvault("get", "openai_api_key", **base, KEYVAULT_CA_FILE=str(certificates.ca))
    assert (by_setting.returncode, by_setting.stdout.strip()) == (0, VALUE), by_setting.stderr
    by_openssl = _keyvault("get", "openai_api_key", **base, SSL_CERT_FILE=str(certificates.ca))
    assert (by_openssl.returncode, by_openssl.stdout.strip()) == (0, VALUE), by_openssl.stderr
    show = "import os; print(os.environ['OPENAI_API_KEY'] == " + repr(VALUE) + ")"
    ran = _keyvault("run", "--", sys.executable, "-c", show, **base,
                    KEYVAULT_CA_FILE=str(certificates.ca))  # fmt: skip
    assert (ran.returncode, ran.stdout.strip()) == (0, "True"), ran.stderr
    wrong = _keyvault("get", "openai_api_key", **base,
                      KEYVAULT_CA_FILE=str(certificates.other_ca))  # fmt: skip
    assert wrong.returncode != 0 and wrong.stdout == ""
    assert "presented a certificate that was not trusted" in wrong.stderr
    assert "KEYVAULT_CA_FILE" in wrong.stderr and token not in wrong.stderr


def _gateway_streams_chunk_by_chunk(
    proxy: servers.Proxy, ca: ssl.SSLContext, token: str, provider: GatedProvider
) -> None:
    """Each chunk reaches the caller before the provider sends the next: nothing buffers it."""
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    reads: list[bytes] = []
    with httpx.stream("POST", proxy.https + CHAT, json=body, verify=ca, timeout=GATE_DEADLINE * 2,
                      headers={"Authorization": f"Bearer {token}"}) as answer:  # fmt: skip
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/event-stream"
        for chunk in answer.iter_raw():
            reads.append(chunk)
            if len(reads) <= STREAMED_CHUNKS:
                provider.read(len(reads) - 1)
    interleaved = [f"{step} {n}" for n in range(STREAMED_CHUNKS) for step in ("sent", "read")]
    assert provider.events == interleaved
    assert [read.count(b"data: ") for read in reads] == [1] * (STREAMED_CHUNKS + 1)
    assert reads[-1] == b"data: [DONE]\n\n"  # the usage chunk keyvault asked for is removed


def _large_prompts_pass_the_proxy(proxy: servers.Proxy, ca: ssl.SSLContext, token: str) -> None:
    """A 2 MiB prompt reaches the provider: nginx's 1 MB limit for forms is not the gateway's."""
    messages = [{"role": "user", "content": "x" * (2 * 1024 * 1024)}]
    answer = httpx.post(proxy.https + CHAT, verify=ca, timeout=60,
                        headers={"Authorization": f"Bearer {token}"},
                        json={"model": "m", "messages": messages})  # fmt: skip
    assert answer.status_code == 200, answer.text[:200]
    assert answer.json()["usage"] == USAGE


def _probes_and_metrics_answer_through_the_proxy(proxy: servers.Proxy, ca: ssl.SSLContext) -> None:
    ready = httpx.get(f"{proxy.https}/readyz", verify=ca)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok", "migrations": "ok", "keys": "ok", "cache": "ok"
    }  # fmt: skip
    assert httpx.get(f"{proxy.https}/metrics", verify=ca).status_code == 401
    scraped = httpx.get(
        f"{proxy.https}/metrics", verify=ca, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert scraped.status_code == 200
    # Three reads answered 200 (two gets and one run), whichever workers served them.
    assert 'keyvault_api_reads_total{outcome="200"} 3.0' in scraped.text
    # One stream and one large prompt through the gateway, whichever workers served them.
    assert 'keyvault_gateway_requests_total{provider="openai",status="200"} 2.0' in scraped.text
    assert 'keyvault_gateway_tokens_total{direction="input",provider="openai"} 42.0' in scraped.text
    assert VALUE not in scraped.text and "billing-worker" not in scraped.text


def _every_log_line_is_json_with_its_request_id(log: Path, deployment: dict[str, object]) -> None:
    proxy: servers.Proxy = deployment["proxy"]  # type: ignore[assignment]
    certificates: servers.Certificates = deployment["certificates"]  # type: ignore[assignment]
    asked = httpx.get(f"{proxy.https}/admin/", verify=trusting(certificates.ca),
                      headers={"X-Request-ID": "trace-4242.a_b-c"})  # fmt: skip
    assert asked.headers["x-request-id"] == "trace-4242.a_b-c"
    text = log.read_text()
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert {"timestamp", "level", "logger", "message", "request_id"} <= set(records[-1])
    assert any(r["logger"] == "gunicorn.error" for r in records)  # gunicorn's own lines too
    mine = [r for r in records if r["request_id"] == "trace-4242.a_b-c"]
    assert mine and all(r["client_address"] == "127.0.0.1" for r in mine)
    api = [r for r in records if r["logger"] == "keyvault.access" and "/api/v1/" in r["message"]]
    assert api and all(r["token_name"] == "billing-worker" for r in api)
    assert not any("/readyz" in r["message"] for r in records)  # probes stay out of the log
    assert VALUE not in text and str(deployment["token"]) not in text
