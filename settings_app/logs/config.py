"""The LOGGING dictionary: every handler redacts, stamps the request, and writes one format."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

FORMATTERS = {
    "text": {"()": "settings_app.logs.formatters.TextFormatter"},
    "json": {"()": "settings_app.logs.formatters.RedactingJsonFormatter"},
}
FILTERS = {
    # Anything that looks like a provider key, a service token or a ciphertext is masked.
    "redact_secrets": {"()": "settings_app.logs.filters.RedactSecretsFilter"},
    "request_context": {"()": "settings_app.logs.filters.RequestContextFilter"},
    "quiet_probes": {"()": "settings_app.logs.filters.QuietProbesFilter"},
}


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """LOGGING for KEYVAULT_LOG_FORMAT (`text` or `json`) and LOG_LEVEL."""
    if log_format not in FORMATTERS:
        raise ImproperlyConfigured(
            f"KEYVAULT_LOG_FORMAT is {log_format!r}; set it to 'text' (the default) or 'json'."
        )
    every_filter = ["request_context", "redact_secrets", "quiet_probes"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": FORMATTERS[log_format]},
        "filters": FILTERS,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "filters": every_filter,
            },
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": every_filter,
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": _loggers(),
    }


def _loggers() -> dict[str, dict[str, Any]]:
    return {
        # Redeclared so that Django's own handlers (which do not redact) are replaced.
        "django": {"handlers": ["console", "mail_admins"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console", "mail_admins"], "propagate": False},
        # Request lines only, never headers: quiet unless something is wrong.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        # At DEBUG it logs whole template contexts for missing variables.
        "django.template": {"level": "INFO"},
    }
