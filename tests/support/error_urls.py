"""A URLconf whose views fail with a provider key in the exception: for error report tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

# An obviously fake key (KEY_BODY in tests/logs/test_error_reports.py), spelled out in each view
# so that the report's source lines carry it too.


def fail(request: HttpRequest) -> HttpResponse:
    answer = "401 for sk-proj-FAKEkeyForErrorReports0123456789"  # a local holding it, too
    raise ValueError(f"the provider answered {answer}")


def fail_with_a_cause(request: HttpRequest) -> HttpResponse:
    try:
        raise KeyError("no setting for sk-proj-FAKEkeyForErrorReports0123456789")
    except KeyError as error:
        raise RuntimeError("the lookup failed") from error


urlpatterns = [
    path("fail/", fail),
    path("fail-with-a-cause/", fail_with_a_cause),
]
