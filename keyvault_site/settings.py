"""Django settings for keyvault, read from the environment (and an optional .env file).

Every variable is documented in `.env.example` and the README. Secrets may also be given as
files: `SECRET_KEY_FILE=/run/secrets/secret_key` works for every variable (FileAwareEnv).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp import constants as csp
from dotenv import load_dotenv

from keyvault_site.command_line import missing_secret_key
from settings_app.logs.config import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()

# An empty KEYVAULT_ENV_FILE turns the .env file off (the test suite does this). Read by
# python-dotenv, the parser `import_env` uses, so a line means the same to both (an inline
# `# comment` is a comment); the environment wins over the file, and `${VAR}` stays literal.
ENV_FILE = os.environ.get("KEYVAULT_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    load_dotenv(ENV_FILE, override=False, interpolate=False, encoding="utf-8")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    # No insecure default: a deployment without a secret key must not start. The message says
    # to restore a lost one first (keyvault_site/command_line.py).
    raise missing_secret_key(ENV_FILE)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "settings_app",
]

MIDDLEWARE = [
    "settings_app.logs.middleware.RequestContextMiddleware",  # first: every line has the id
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "settings_app.audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth and messages:
    "settings_app.request_context.idle_sessions.IdleSessionTimeoutMiddleware",
    # After the idle check: a signed-in user with no verified second factor reaches only the
    # sign-in step, enrolment and logout (settings_app/twofactor).
    "settings_app.twofactor.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "settings_app.metrics.middleware.AdminLatencyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into a response
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out logins
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "keyvault_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "keyvault_site.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}

SQLITE_SETTINGS = {
    "OPTIONS": {
        # Take the write lock when a transaction starts: concurrent writers then wait for each
        # other (busy timeout) instead of failing with "database is locked" when they upgrade.
        "transaction_mode": "IMMEDIATE",
        # Wait this long (seconds) for another connection's write lock. SQLite's default of 5 s
        # is shorter than a busy machine's waits, and then a request fails with "database is
        # locked". No request holds the lock during slow work (hashing, provider calls).
        "timeout": 30,
        # Write-ahead log: readers never wait for the writer, and a commit is one append and
        # one fsync. (API rate counters relax even that: settings_app/counters/relaxed_commit.py.)
        "init_command": "PRAGMA journal_mode=WAL;",
    },
    # Keep each worker's connection: closing the last one to a WAL database checkpoints it
    # (more fsyncs), which once per request would cost more than the request.
    "CONN_MAX_AGE": 600,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_SETTINGS["OPTIONS"])
    DATABASES["default"]["CONN_MAX_AGE"] = SQLITE_SETTINGS["CONN_MAX_AGE"]

# A pool per worker process (psycopg_pool). Under ASGI each request runs on a thread of its own,
# so without one every request opened (and the server forked) a new connection.
POSTGRES_POOL = {
    "min_size": 1,
    "max_size": env.int("KEYVAULT_DB_POOL_SIZE", default=10),
    "timeout": 10,  # seconds a request waits for a free connection before it fails
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "KEYVAULT_DB_POOL", default=True
):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections, not Django
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = POSTGRES_POOL

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("KEYVAULT_CACHE_URL", default="dbcache://keyvault_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # One Redis connection pool per process: the stock backend opens one per ASGI request.
    CACHES["default"]["BACKEND"] = "settings_app.counters.redis_cache.SharedPoolRedisCache"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Served by WhiteNoise (gunicorn needs no separate static server); run collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# `make run` serves ASGI under uvicorn (no runserver): WhiteNoise serves the apps' files then.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security ---------------------------------------------------------------------------------
# Production defaults (DEBUG=false) pass `manage.py check --deploy` with zero warnings.
HTTPS = env.bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
# Probes and scrapers talk to gunicorn directly, inside the deployment: no redirect for them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env.bool("BEHIND_TLS_PROXY", default=False):
    # Trust X-Forwarded-Proto only when a TLS-terminating proxy always sets it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)  # absolute, from sign-in
# Signed out after this long without a request (request_context/idle_sessions.py); 0 turns it off.
KEYVAULT_SESSION_IDLE_MINUTES = env.int("KEYVAULT_SESSION_IDLE_MINUTES", default=30)
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp). The admin loads scripts from its own static files only;
# the few inline <style> blocks of our templates carry the per-request nonce
# (`nonce="{{ request.csp_nonce }}"`). Nothing inline runs, nothing loads from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.NONCE],
        "object-src": [csp.NONE],
        "base-uri": [csp.NONE],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    },
}

# Login throttling (django-axes): lock a username+IP after repeated failures.
AXES_FAILURE_LIMIT = env.int("KEYVAULT_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KEYVAULT_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A correct password alone must not wipe the count of wrong second-factor codes: failures are
# reset when a sign-in is complete (settings_app/twofactor/lockout.py).
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False  # no "AXES: BEGIN version ..." banner on every manage.py command
# Lock out the client's address, not the proxy's: the same rule as the audit trail and the API
# (KEYVAULT_TRUSTED_PROXY_COUNT below).
AXES_CLIENT_IP_CALLABLE = "settings_app.request_context.client_address.client_ip"
# The lockout store (AccessAttempt.get_data/post_data) keeps what a failed form carried, masking
# only these (and "password", always): every other field of the login and reveal forms.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "reason",
    "once",
    "csrfmiddlewaretoken",
    "value",
]

# --- Two-factor sign-in (settings_app/twofactor, docs/security.md) --------------------------
# Who must have a second factor: "none", "key_admins" (key admins and superusers) or "all".
KEYVAULT_REQUIRE_2FA = env.str("KEYVAULT_REQUIRE_2FA", default="key_admins")
# Reveals, token creation, restores, destroys, imports and purges need a second factor
# verified within this many seconds.
KEYVAULT_STEP_UP_SECONDS = env.int("KEYVAULT_STEP_UP_SECONDS", default=300)
OTP_TOTP_ISSUER = "keyvault"  # the name authenticator apps show
# Passkeys (django-otp-webauthn) are a second factor only: the password always comes first.
# Browsers bind a passkey to the site's domain: list the origins the admin is served at (the
# first one's host is the passkey domain; an IP address cannot hold passkeys, use localhost).
KEYVAULT_PASSKEY_ORIGINS = env.list(
    "KEYVAULT_PASSKEY_ORIGINS",
    default=["http://localhost:8000"]
    if DEBUG
    else [f"https://{host}" for host in ALLOWED_HOSTS if host.strip(".*")] or ["https://localhost"],
)
OTP_WEBAUTHN_ALLOWED_ORIGINS = KEYVAULT_PASSKEY_ORIGINS
OTP_WEBAUTHN_RP_ID = urlsplit(KEYVAULT_PASSKEY_ORIGINS[0]).hostname or "localhost"
OTP_WEBAUTHN_RP_NAME = "keyvault"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# --- Encryption at rest (see settings_app/crypto and the README's operator runbook) ---------
# Generate these with `python manage.py init_encryption`; `manage.py check` reports a missing
# (keyvault.E001), malformed or weak (E002) or reused (E003) key, a current key that decodes to
# text (E006) or equals SECRET_KEY (E007), and the key set checks them again when first used.
KEYVAULT_PRIMARY_KEY = env.str("KEYVAULT_PRIMARY_KEY", default="")
KEYVAULT_PRIMARY_KEY_FALLBACKS = env.list("KEYVAULT_PRIMARY_KEY_FALLBACKS", default=[])
KEYVAULT_DETERMINISTIC_KEY = env.str("KEYVAULT_DETERMINISTIC_KEY", default="")
KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = env.list("KEYVAULT_DETERMINISTIC_KEY_FALLBACKS", default=[])
KEYVAULT_KEY_DERIVATION_SALT = env.str("KEYVAULT_KEY_DERIVATION_SALT", default="")
KEYVAULT_SUPPORT_UNENCRYPTED_DATA = env.bool("KEYVAULT_SUPPORT_UNENCRYPTED_DATA", default=False)
# Days a deleted key stays in the trash, restorable, before `purge_deleted` removes it.
KEYVAULT_TRASH_DAYS = env.int("KEYVAULT_TRASH_DAYS", default=30)
# Past versions kept per setting besides the current one (settings_app/versions/retention.py).
KEYVAULT_MAX_VERSIONS = env.int("KEYVAULT_MAX_VERSIONS", default=10)
# Setting.objects.get_value keeps plaintext in process memory this long (0: off); changes in
# other processes reach it within about a second through a stamp in the default cache.
KEYVAULT_VALUE_CACHE_SECONDS = env.float("KEYVAULT_VALUE_CACHE_SECONDS", default=30)

# --- Read API for services (settings_app/api, docs/api.md) -----------------------------------
KEYVAULT_TOKEN_MAX_DAYS = env.int("KEYVAULT_TOKEN_MAX_DAYS", default=365)
KEYVAULT_API_RATE = env.str("KEYVAULT_API_RATE", default="600/m")  # per token
KEYVAULT_API_WRITE_RATE = env.str("KEYVAULT_API_WRITE_RATE", default="60/m")  # per token
# Proxies in front of keyvault that append to X-Forwarded-For (0: none, the header is ignored).
KEYVAULT_TRUSTED_PROXY_COUNT = env.int("KEYVAULT_TRUSTED_PROXY_COUNT", default=0)

# --- Gateway (/gateway/<setting key>/..., settings_app/gateway) ------------------------------
KEYVAULT_GATEWAY_READ_TIMEOUT = env.float("KEYVAULT_GATEWAY_READ_TIMEOUT", default=600)  # per read
KEYVAULT_GATEWAY_MAX_BODY = env.int("KEYVAULT_GATEWAY_MAX_BODY", default=32 * 1024 * 1024)
# Usage is written in batches at most this many seconds apart (fractions allowed).
KEYVAULT_GATEWAY_FLUSH_SECONDS = env.float("KEYVAULT_GATEWAY_FLUSH_SECONDS", default=1.0)
# check_usage alerts when today's tokens exceed FACTOR x the baseline; lower baselines are ignored.
KEYVAULT_USAGE_ALERT_FACTOR = env.float("KEYVAULT_USAGE_ALERT_FACTOR", default=2.0)
KEYVAULT_USAGE_ALERT_FLOOR = env.int("KEYVAULT_USAGE_ALERT_FLOOR", default=10_000)

REST_FRAMEWORK = {
    # Service tokens only: no session (no CSRF surface) and no basic auth on the API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "settings_app.api.authentication.ServiceTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["settings_app.api.permissions.HasServiceToken"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # no browsable API
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "keyvault API",
    "DESCRIPTION": "Services read settings with a service token: Authorization: Bearer kvt_...",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema describes endpoints, never data: readable without a token.
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "ENUM_NAME_OVERRIDES": {
        "ProviderEnum": "settings_app.api.serializers.PROVIDER_SLUGS",
        "WritableProviderEnum": "settings_app.api.writes.serializers.WRITABLE_PROVIDERS",
    },
}

# --- Expiry and rotation reminders (settings_app/notifications; README "Schedule") ---------
# Rotate every key at least this often, in days (0: no global policy). A key's own
# "rotate every" days overrides it.
KEYVAULT_MAX_KEY_AGE_DAYS = env.int("KEYVAULT_MAX_KEY_AGE_DAYS", default=0)
# A key not verified within this many days is due for verification (0: the rule is off).
KEYVAULT_VERIFY_MAX_AGE_DAYS = env.int("KEYVAULT_VERIFY_MAX_AGE_DAYS", default=0)
# Seconds to wait for each provider during verification, e.g. "gemini=20,openai=5".
KEYVAULT_VERIFY_TIMEOUTS = env.dict("KEYVAULT_VERIFY_TIMEOUTS", default={})
# Who gets notices besides the users in the "keyvault key admins" group.
KEYVAULT_NOTIFY_EMAILS = env.list("KEYVAULT_NOTIFY_EMAILS", default=[])
# A Slack-compatible incoming webhook for notices, and the secret that signs their bodies.
KEYVAULT_NOTIFY_WEBHOOK_URL = env.str("KEYVAULT_NOTIFY_WEBHOOK_URL", default="")
KEYVAULT_NOTIFY_WEBHOOK_SECRET = env.str("KEYVAULT_NOTIFY_WEBHOOK_SECRET", default="")

# E-mail (notices, error mails): EMAIL_URL such as smtp+tls://user:password@mail.example.com:587;
# development prints mails on the console.
vars().update(
    {
        name: value
        for name, value in env.email_url(
            "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
        ).items()
        if value is not None
    }
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="keyvault@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Error pages and mails to ADMINS never show locals of code that handles keys, and mask keys
# wherever else they appear (exception messages, source lines).
DEFAULT_EXCEPTION_REPORTER_FILTER = "settings_app.logs.error_reports.SecretHidingReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "settings_app.logs.error_reports.SecretRedactingExceptionReporter"
ADMINS = [("Admin", email) for email in env.list("ADMIN_EMAILS", default=[])]

# One line per record, text (default) or JSON (KEYVAULT_LOG_FORMAT=json), each with a UTC
# timestamp, level, logger and request id; every handler redacts (settings_app/logs/).
KEYVAULT_LOG_FORMAT = env.str("KEYVAULT_LOG_FORMAT", default="text")
LOGGING = logging_config(KEYVAULT_LOG_FORMAT, env.str("LOG_LEVEL", default="INFO"))

# --- Operations (settings_app/health, settings_app/metrics; deploy/README.md) ----------------
# /metrics answers only with "Authorization: Bearer <this>"; unset, it is off (404).
KEYVAULT_METRICS_TOKEN = env.str("KEYVAULT_METRICS_TOKEN", default="")

# Provider base URL overrides for proxies and tests, e.g. KEYVAULT_OPENAI_BASE_URL. Only
# configuration can redirect where keys are sent, never a request.
for _name in list(os.environ):
    if _name.startswith("KEYVAULT_") and _name.endswith("_BASE_URL"):
        globals()[_name] = env.str(_name)
