"""Error reports (debug page, mails to ADMINS) never show a value held by code that handles keys."""

from __future__ import annotations

import sys

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from settings_app.crypto import DecryptionError
from settings_app.models import Setting
from settings_app.redaction import REDACTED
from tests.role_users import SECRET


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
