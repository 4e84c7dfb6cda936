"""Error reports (the debug page and the mails sent to ADMINS) that cannot carry a secret.

Django's SafeExceptionReporterFilter hides only the variables a function marks with
`sensitive_variables`. Decorating the decrypt hot path would cost every ORM read a wrapper
call, so instead every frame of the code that handles keys has all its locals hidden.
"""

from __future__ import annotations

from types import FrameType
from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

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
