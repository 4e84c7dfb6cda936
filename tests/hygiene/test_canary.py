"""The canary: one unmistakable key goes in through every entrance, and must come out nowhere.

It enters by the admin add and change forms, the ORM and the management commands; then every
page, message, cookie, command output, log record (every logger, at DEBUG), error report, mail,
audit event and dump is searched for it, and for its middle (what a mask hides). The one page
allowed to show it is the reveal result, and that page must show it exactly once.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.core.exceptions import FieldError, ValidationError
from django.core.mail import EmailMessage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from settings_app.crypto import RandomizedCipher
from settings_app.crypto.envelope import MARKER
from settings_app.encryption import keyring
from settings_app.logs.filters import RedactSecretsFilter
from settings_app.models import AuditAction, AuditEvent, Setting
from settings_app.providers import PROVIDERS
from settings_app.providers import client as provider_client
from tests.hygiene.conftest import AUDIT, PASSWORD, REASON, SETTINGS, make_user
from tests.support.keys import fake_key
from tests.support.provider_server import ProviderServer, provider_server_fixture  # noqa: F401
from tests.support.reveal_helpers import post_reveal

pytestmark = pytest.mark.django_db

KEY = "openai_api_key"
TABLES = (
    "settings_app_setting",
    "settings_app_settingversion",
    "settings_app_auditevent",
    "django_admin_log",
    "django_session",
)


def parts(secret: str) -> list[str]:
    """The secret and its middle: a mask shows a prefix and the last 4, never what is between."""
    return [secret, secret[8:-4]]


@dataclass
class Watch:
    """The secrets of one test: `look()` fails if any of them is in a text."""

    secrets: list[str] = field(default_factory=list)

    def new(self) -> str:
        canary = "sk-proj-CANARY" + secrets.token_hex(16)
        self.secrets.append(canary)
        return canary

    def look(self, text: str, where: str) -> None:
        for secret in self.secrets:
            for part in parts(secret):
                assert part not in text, f"a secret leaked into {where}"


class ScanningClient(Client):
    """A test client that looks for the watched secrets in every response it gets."""

    def __init__(self, watch: Watch, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.watch = watch

    def request(self, **request: Any) -> Any:
        response = super().request(**request)
        body = "" if response.streaming else response.content.decode(errors="replace")
        where = f"{request['REQUEST_METHOD']} {request['PATH_INFO']}"
        self.watch.look(body + str(response.headers) + str(response.cookies), where)
        return response


@pytest.fixture
def watch(all_logs: pytest.LogCaptureFixture, mailoutbox: list[EmailMessage]) -> Iterator[Watch]:
    """After the test: no log record, mail, audit event, admin log or session holds a secret."""
    watch = Watch(secrets=[fake_key("primary"), fake_key("deterministic"), fake_key("salt")])
    yield watch
    # caplog.records/.text hold only the current phase (teardown): read setup's and call's.
    for record in all_logs.get_records("setup") + all_logs.get_records("call"):
        watch.look(log_text(record), f"a log record of {record.name}")
    for mail in mailoutbox:
        alternatives = getattr(mail, "alternatives", "")
        watch.look(f"{mail.subject} {mail.body} {alternatives}", "a mail")
    for table in TABLES:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            watch.look(str(cursor.fetchall()), f"the {table} table")


def log_text(record: logging.LogRecord) -> str:
    """Everything a handler could write for `record`: message, arguments, traceback, stack."""
    formatter = logging.Formatter()
    trace = formatter.formatException(record.exc_info) if record.exc_info else ""
    return f"{record.getMessage()} {record.args!r} {trace} {record.exc_text} {record.stack_info}"


@pytest.fixture
def canary(watch: Watch) -> str:
    return watch.new()


@pytest.fixture
def stored(canary: str) -> Setting:
    """The canary entered through the ORM."""
    return Setting.objects.create(
        key=KEY, value=canary, provider="openai", description="Production project key"
    )


def logged_in(watch: Watch, role: str = "superuser", **kwargs: Any) -> ScanningClient:
    client = ScanningClient(watch, **kwargs)
    client.force_login(make_user(role))
    return client


def form(**fields: str) -> dict[str, str]:
    return {
        "key": KEY,
        "provider": "openai",
        "value": "",
        "description": "",
        "expires_at": "",
        "version": "1",  # the version the change form was opened at
    } | fields


def run(watch: Watch, *args: str) -> str:
    """Run a command; its stdout, stderr and any CommandError must not show a secret."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(f"CommandError: {error}")
    watch.look(out.getvalue() + err.getvalue(), f"manage.py {args[0]}")
    return out.getvalue() + err.getvalue()


# --- entrances ------------------------------------------------------------------------------


def test_the_admin_forms_take_a_key_and_never_show_it_back(watch: Watch) -> None:
    client = logged_in(watch)
    first, second, refused = watch.new(), watch.new(), watch.new()

    client.get(SETTINGS + "add/")
    added = client.post(SETTINGS + "add/", form(value=first), follow=True)
    setting = Setting.objects.get(key=KEY)
    # A form re-rendered after an error must not echo the key it was given.
    bad_name = client.post(SETTINGS + "add/", form(key="bad name", value=refused))
    replaced = client.post(f"{SETTINGS}{setting.pk}/change/", form(value=second), follow=True)

    assert added.status_code == replaced.status_code == bad_name.status_code == 200
    assert "bad name" in bad_name.content.decode()  # the error page, not a redirect
    assert Setting.objects.get_value(KEY) == second
    assert not Setting.objects.filter(key="bad name").exists()


def test_the_orm_keeps_the_key_out_of_repr_errors_and_lookups(watch: Watch, canary: str) -> None:
    setting = Setting.objects.create(key=KEY, value=canary, provider="openai")
    texts = [repr(setting), str(setting), repr(Setting.objects.all())]
    for lookup in ("value", "value__startswith", "value__icontains"):
        with pytest.raises(FieldError) as refused:
            list(Setting.objects.filter(**{lookup: canary}))
        texts.append(str(refused.value))
    admin_key = Setting(key="x", provider="openai", value="sk-admin-" + canary[8:])
    with pytest.raises(ValidationError) as invalid:
        admin_key.full_clean()
    texts.append(str(invalid.value))

    watch.look("\n".join(texts), "repr, str or an error message")
    assert Setting.objects.get_value(KEY) == canary


# --- pages ----------------------------------------------------------------------------------


def test_no_admin_page_shows_a_stored_key(watch: Watch, stored: Setting) -> None:
    client = logged_in(watch)
    one = f"{SETTINGS}{stored.pk}/"
    pages = [
        "/admin/",
        SETTINGS,
        SETTINGS + "?q=openai",
        SETTINGS + "?provider__exact=openai&verification_status__exact=unverified",
        SETTINGS + "?o=3",
        one + "change/",
        one + "history/",
        one + "delete/",
        one + "reveal/",
        AUDIT,
        AUDIT + f"?setting_key={KEY}",
        *[f"{AUDIT}{pk}/change/" for pk in AuditEvent.objects.values_list("pk", flat=True)],
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page
    bulk_delete = {"action": "delete_selected", "_selected_action": [stored.pk]}
    assert b"Are you sure" in client.post(SETTINGS, bulk_delete).content
    refused = post_reveal(client, one + "reveal/", {"password": "nope", "reason": "short"})
    assert refused.status_code == 200 and refused.context["form"].errors


def test_no_version_page_shows_a_key_past_or_present(
    watch: Watch, stored: Setting, provider_server: ProviderServer
) -> None:
    """History, restore (with the provider's refusal) and destroy: masks only, everywhere."""
    client = logged_in(watch)
    Setting.objects.set_value(KEY, watch.new())
    versions = f"{SETTINGS}{stored.pk}/versions/"
    for page in (versions, versions + "1/restore/", versions + "1/destroy/"):
        assert client.get(page).status_code == 200, page
    refused = client.post(versions + "1/restore/", {"verify": "on", "opened_at": "2"})
    assert b"rejects version 1 now" in refused.content  # the stand-in refuses unknown keys
    restored = client.post(versions + "1/restore/", {"opened_at": "2", "confirmed": "True"})
    assert restored.status_code == 302
    assert client.post(versions + "2/destroy/").status_code == 302
    assert client.get(versions).status_code == 200


def test_lookups_on_the_value_are_refused_not_answered(watch: Watch, stored: Setting) -> None:
    client = logged_in(watch, raise_request_exception=False)
    guess = stored.value[:-4]  # all but the last 4: a leak would be an oracle on the rest
    for lookup in ("value__startswith", "value_fingerprint__isnull", "value"):
        response = client.get(SETTINGS, {lookup: guess})
        assert response.status_code == 400  # DisallowedModelAdminLookup, not a filtered list


def reveal(watch: Watch, setting: Setting) -> Any:
    """POST the reveal form as a key admin; only this response may show the setting's value."""
    client = logged_in(watch, "key_admin")
    watching = watch.secrets.copy()
    watch.secrets[:] = [secret for secret in watching if secret != setting.value]
    page = post_reveal(
        client, f"{SETTINGS}{setting.pk}/reveal/", {"password": PASSWORD, "reason": REASON}
    )
    watch.secrets[:] = watching
    client.get(f"{SETTINGS}{setting.pk}/change/")
    client.get(AUDIT)
    return page


def test_the_reveal_result_is_the_one_page_that_shows_the_key(
    watch: Watch, stored: Setting, caplog: pytest.LogCaptureFixture
) -> None:
    page = reveal(watch, stored)

    assert page.status_code == 200
    assert page.content.decode().count(stored.value) == 1
    assert "no-store" in page["Cache-Control"]
    [event] = AuditEvent.objects.filter(action=AuditAction.REVEALED)
    assert event.details["reason"] == REASON


def test_revealing_logs_no_key_even_at_debug(
    watch: Watch, caplog: pytest.LogCaptureFixture
) -> None:
    mistral_key = "CANARY" + secrets.token_hex(16)  # Mistral keys have no prefix to redact
    setting = Setting.objects.create(key="mistral_api_key", value=mistral_key, provider="mistral")
    # Not in watch.secrets: the teardown sweep would fail outside the xfail; checked below.

    assert reveal(watch, setting).status_code == 200

    # What LOG_LEVEL=DEBUG writes to the console: each record after the project's redaction.
    redact = RedactSecretsFilter()
    for record in caplog.get_records("call"):
        redact.filter(record)
        assert mistral_key not in f"{record.getMessage()} {record.exc_text}", record.name


# --- verification ---------------------------------------------------------------------------


def echo(key: str) -> bytes:
    return json.dumps(
        {"error": {"message": f"Incorrect API key provided: {key}", "key": key}}
    ).encode()


ANSWERS: dict[str, Callable[[str], tuple[int, bytes]]] = {
    "accepted": lambda key: (200, b'{"data": []}'),
    "accepted, echoing": lambda key: (200, echo(key)),
    "refused, echoing": lambda key: (401, echo(key)),
    "rate limited, echoing": lambda key: (429, echo(key)),
    "failing, echoing": lambda key: (500, echo(key)),
}


@pytest.mark.parametrize("answer", ANSWERS)
def test_verifying_never_shows_the_key_whatever_the_provider_says(
    watch: Watch, stored: Setting, provider_server: ProviderServer, answer: str
) -> None:
    status, body = ANSWERS[answer](stored.value)
    provider_server.accept(stored.value, status=status, body=body)
    client = logged_in(watch)

    button = client.post(f"{SETTINGS}{stored.pk}/verify/", follow=True)
    action = {"action": "verify_selected", "_selected_action": [stored.pk], "index": "0"}
    bulk = client.post(SETTINGS, action, follow=True)
    table = run(watch, "verify_settings")

    assert [request.key for request in provider_server.requests] == [stored.value] * 3
    assert KEY in table
    for response in (button, bulk):
        [message] = response.context["messages"]
        assert str(message).startswith(f"Verified {KEY}: ")


# --- commands -------------------------------------------------------------------------------


def test_commands_never_print_the_key(
    watch: Watch, stored: Setting, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stored.value + "\n"))
    found = run(watch, "find_secret")
    settings.KEYVAULT_PRIMARY_KEY_FALLBACKS = [settings.KEYVAULT_PRIMARY_KEY]
    settings.KEYVAULT_PRIMARY_KEY = fake_key("primary-next")
    watch.secrets.append(settings.KEYVAULT_PRIMARY_KEY)
    status_before = run(watch, "encryption_status")
    reencrypted = run(watch, "reencrypt")
    status_after = run(watch, "encryption_status")

    assert f"  {KEY}" in found
    assert "still in use" in status_before and "can be retired now" in status_after
    assert "2 re-encrypted" in reencrypted  # the setting and its version 1
    assert Setting.objects.get_value(KEY) == stored.value


def test_dumpdata_holds_only_ciphertext(watch: Watch, stored: Setting) -> None:
    dump = run(watch, "dumpdata", "settings_app", "--indent", "2")

    [row] = [obj for obj in json.loads(dump) if obj["model"] == "settings_app.setting"]
    assert row["fields"]["value"].startswith(MARKER + "1$")
    assert keyring.get_cipher("settings_app.Setting.value").decrypt(row["fields"]["value"]) == (
        stored.value
    )


# --- error reports --------------------------------------------------------------------------


def explode(request: httpx.Request) -> httpx.Response:
    """A provider transport that crashes while the key is in the caller's locals."""
    raise RuntimeError("the stand-in provider transport crashed")


@pytest.fixture
def crashing_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    """Verification crashes deep inside check_key/_send, whose frames hold the plaintext."""
    client = httpx.Client(transport=httpx.MockTransport(explode))
    monkeypatch.setattr(provider_client, "get_client", lambda: client)


@pytest.fixture
def html_mail_handler() -> Iterator[None]:
    """A second admin mailer with the HTML report (the configured one sends text only)."""
    handler = AdminEmailHandler(include_html=True)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)


@pytest.mark.usefixtures("crashing_verification", "html_mail_handler")
def test_a_crash_while_verifying_mails_admins_no_key(
    watch: Watch, stored: Setting, settings: Any, mailoutbox: list[EmailMessage]
) -> None:
    settings.ADMINS = [("a", "a@example.com")]
    client = logged_in(watch, raise_request_exception=False)

    response = client.post(f"{SETTINGS}{stored.pk}/verify/", {"value": stored.value})

    assert response.status_code == 500
    assert len(mailoutbox) == 2
    html = [body for mail in mailoutbox for body, _ in getattr(mail, "alternatives", [])]
    assert len(html) == 1 and "RuntimeError" in html[0]
    for text in [mail.body for mail in mailoutbox] + html:
        watch.look(str(text), "an error mail")


@pytest.mark.usefixtures("crashing_verification")
def test_the_debug_error_page_shows_no_key(watch: Watch, stored: Setting, settings: Any) -> None:
    settings.DEBUG = True
    client = logged_in(watch, raise_request_exception=False)

    response = client.post(f"{SETTINGS}{stored.pk}/verify/")

    assert response.status_code == 500
    assert b"RuntimeError" in response.content  # the technical page, locals and all


class Sealed:
    """Carries the canary into a call without a test frame showing it in its locals."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<sealed>"


def report_of(
    crash: Callable[[Sealed], object], sealed: Sealed, *, posted: bool, **attributes: Any
) -> str:
    """The technical 500 HTML and text for the exception `crash(sealed)` raises.

    With `posted`, the request also carries the secret in the form fields that hold secrets.
    """
    marker = "an-ordinary-local-that-the-report-shows"
    # No local may hold the plaintext here: this frame's locals are in the report.
    request = RequestFactory().post(
        "/crash/", {"value": sealed.value, "password": PASSWORD} if posted else {}
    )
    for name, value in attributes.items():
        setattr(request, name, value)
    try:
        crash(sealed)
    except Exception:
        reporter = ExceptionReporter(request, *sys.exc_info())
        html, text = reporter.get_traceback_html(), reporter.get_traceback_text()
        assert marker in html  # locals are rendered, so an absence below means something
        return f"{html}\n{text}"
    raise AssertionError("the crash did not happen")


def crash_in_crypto(sealed: Sealed) -> object:
    cipher = keyring.get_cipher("settings_app.Setting.value")
    assert isinstance(cipher, RandomizedCipher)
    return cipher._encrypt_with_nonce(sealed.value, b"")  # a bad nonce: cryptography raises


def crash_in_verification(sealed: Sealed) -> object:
    client = httpx.Client(transport=httpx.MockTransport(explode))
    return provider_client.check_key(PROVIDERS["openai"], sealed.value, client=client)


@pytest.mark.parametrize("crash", [crash_in_crypto, crash_in_verification])
def test_error_reports_hide_key_holding_frames_and_post_data(
    watch: Watch, canary: str, crash: Callable[[Sealed], object]
) -> None:
    assert "SecretHidingReporterFilter" in django_settings.DEFAULT_EXCEPTION_REPORTER_FILTER

    watch.look(report_of(crash, Sealed(canary), posted=True), "the technical 500 page")

    # Control: Django's stock filter shows those very frames' locals (an unwatched stand-in,
    # not posted), so the absence above is the project's filter at work.
    stand_in = "control-" + secrets.token_hex(16)
    stock = SafeExceptionReporterFilter()
    report = report_of(crash, Sealed(stand_in), posted=False, exception_reporter_filter=stock)
    assert stand_in in report


def test_the_admin_history_names_the_setting_not_its_value(watch: Watch, stored: Setting) -> None:
    """LogEntry rows (swept with the other tables after the test) hold the key's name only."""
    client = logged_in(watch)
    client.post(f"{SETTINGS}{stored.pk}/change/", form(description="rotated"), follow=True)

    assert LogEntry.objects.filter(object_repr=KEY).exists()
