"""Error reports (debug page, mails to ADMINS) never show a value held by code that handles keys."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.views.debug import ExceptionReporter

from settings_app.crypto import DecryptionError
from settings_app.logs.redaction import REDACTED
from settings_app.models import Setting
from tests.support.role_users import SECRET


@pytest.mark.django_db
def test_error_reports_hide_values_held_by_django_query_frames() -> None:
    Setting.objects.create(key="a_key", value=SECRET)
    broken = Setting.objects.create(key="b_key", value="sk-proj-placeholder-000")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE settings_app_setting SET value = %s WHERE id = %s",
            ["$kv1$r$00000000$AAAA", broken.pk],
        )
    request = RequestFactory().get("/admin/")
    # The damaged row loads; using its value raises while Django's template frames hold the
    # plaintext already rendered for the row before it.
    listing = Template("{% for s in settings %}{{ s.key }}={{ s.value }};{% endfor %}")
    try:
        listing.render(Context({"settings": Setting.objects.order_by("key")}))
    except DecryptionError:
        html = ExceptionReporter(request, *sys.exc_info()).get_traceback_html()
    else:
        pytest.fail("using the damaged row's value must raise")
    assert SECRET not in html
    assert SECRET[8:-4] not in html
    assert REDACTED in html  # the hidden locals say so, with the project's one marker


def test_error_reports_hide_a_posted_value() -> None:
    request = RequestFactory().post("/admin/", {"key": "openai_api_key", "value": SECRET})
    try:
        raise ValueError("the form broke")
    except ValueError:
        text = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert SECRET not in text
    assert "openai_api_key" in text  # only the value is hidden, not the whole request
    assert REDACTED in text


FAILING_URLS = ["/fail/", "/fail-with-a-cause/"]  # tests/support/error_urls.py
KEY_BODY = "FAKEkeyForErrorReports" + "0123456789"  # what follows sk-proj- in those views


@pytest.fixture
def failing_site(settings) -> Client:
    settings.ROOT_URLCONF = "tests.support.error_urls"
    return Client(raise_request_exception=False)  # a 500 response, as a browser gets it


@pytest.mark.parametrize("url", FAILING_URLS)
@pytest.mark.parametrize("accept", ["text/html", "text/plain"])
def test_the_debug_page_masks_a_key_in_an_exception_message(
    settings, failing_site: Client, url: str, accept: str
) -> None:
    settings.DEBUG = True
    response = failing_site.get(url, HTTP_ACCEPT=accept)
    page = response.content.decode()
    assert response.status_code == 500
    assert "Error" in page and "/error_urls.py" in page  # still a useful report
    assert KEY_BODY not in page
    assert f"sk-proj-{REDACTED}" in page


@pytest.mark.parametrize("url", FAILING_URLS)
def test_error_mails_to_admins_mask_a_key_in_an_exception_message(
    settings, failing_site: Client, mailoutbox: list[Any], url: str
) -> None:
    settings.ADMINS = [("Ops", "ops@example.com")]
    assert failing_site.get(url).status_code == 500
    (mail,) = mailoutbox
    parts = [mail.subject, mail.body, *(content for content, _ in mail.alternatives)]
    assert "the lookup failed" in mail.body or "the provider answered" in mail.body
    assert f"sk-proj-{REDACTED}" in mail.body
    for part in parts:
        assert KEY_BODY not in part
