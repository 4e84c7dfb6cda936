"""Error reports (the debug page and the mails sent to ADMINS) that cannot carry a secret.

Django's SafeExceptionReporterFilter hides only the variables a function marks with
`sensitive_variables`. Decorating the decrypt hot path would cost every ORM read a wrapper
call, so instead every frame of the code that handles keys has all its locals hidden.

The filter cannot reach what the report prints besides variables: exception messages (a
provider's answer, a `ValueError` quoting its input, a chained cause), source lines and request
data. The reporter runs the finished report through `redaction.redact()`, so a key with a known
prefix or an envelope is masked wherever it appears. (The log filter rewrites only log records;
the mail's text comes from this reporter.)
"""

from __future__ import annotations

from types import FrameType
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from .redaction import REDACTED, redact

# Frames from these modules may hold plaintext keys, key material or auth headers: ours,
# the libraries we hand keys to, and the Django layers that carry decrypted values (query
# rows, model instances, forms, templates, serializers).
_SECRET_HANDLING = (
    "settings_app",
    "cryptography",
    "httpx",
    "httpcore",
    "h11",
    "axes",
    "django.db.models",
    "django.forms",
    "django.contrib.admin",
    "django.core.serializers",
    "django.template",
    "rest_framework",  # the API's renderers and responses hold values being sent
)
_SECRET_HANDLING_PREFIXES = tuple(f"{name}." for name in _SECRET_HANDLING)
SENSITIVE_POST_PARAMETERS = frozenset({"value", "password", "password1", "password2"})


class SecretHidingReporterFilter(SafeExceptionReporterFilter):
    cleansed_substitute = REDACTED  # the project's one marker, as in logs and the admin

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: FrameType
    ) -> Any:
        module = tb_frame.f_globals.get("__name__", "")
        if module.startswith(_SECRET_HANDLING_PREFIXES) or module in _SECRET_HANDLING:
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        parameters = super().get_post_parameters(request)
        if request is None or not any(name in parameters for name in SENSITIVE_POST_PARAMETERS):
            return parameters
        cleansed = parameters.copy()
        for name in SENSITIVE_POST_PARAMETERS & set(cleansed):
            cleansed[name] = self.cleansed_substitute
        return cleansed


class SecretRedactingExceptionReporter(ExceptionReporter):
    """The debug page and the ADMINS mail, with keys and envelopes masked everywhere in them."""

    # Still safe to mark safe: the mask adds no markup to the page Django escaped.
    def get_traceback_html(self) -> SafeString:
        return mark_safe(redact(super().get_traceback_html()))  # noqa: S308

    def get_traceback_text(self) -> SafeString:
        return mark_safe(redact(super().get_traceback_text()))  # noqa: S308
