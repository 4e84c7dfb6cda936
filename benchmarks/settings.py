"""Django settings for the benchmark run: a throwaway SQLite file, optional PostgreSQL, bench keys.

The runner (`benchmarks.environment.prepare`) puts the paths and the generated key material in
the environment, so the re-encryption subprocess configures itself exactly like its parent.
"""

from __future__ import annotations

import json
import os

# Never read a developer's .env or production key material into a benchmark.
os.environ["KEYVAULT_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-0123456789")

from keyvault_site.settings import *  # noqa: F403
from keyvault_site.settings import INSTALLED_APPS

_keys: dict[str, str] = json.loads(os.environ.get("KEYVAULT_BENCH_KEYS", "{}"))
_dir = os.environ.get("KEYVAULT_BENCH_DIR", ".")

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.benchapp"]
ROOT_URLCONF = "keyvault_site.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DEBUG = False
STATIC_ROOT = f"{_dir}/static"  # created by the runner; nothing is collected

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{_dir}/bench.sqlite3"}}
if os.environ.get("KEYVAULT_BENCH_PG_NAME"):
    DATABASES["postgres"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["KEYVAULT_BENCH_PG_NAME"],
        "USER": os.environ.get("KEYVAULT_BENCH_PG_USER", ""),
        "PASSWORD": os.environ.get("KEYVAULT_BENCH_PG_PASSWORD", ""),
        "HOST": os.environ.get("KEYVAULT_BENCH_PG_HOST", ""),
        "PORT": os.environ.get("KEYVAULT_BENCH_PG_PORT", ""),
    }

# The current primary key, plus the key the re-encryption rows were written under.
KEYVAULT_PRIMARY_KEY = _keys.get("primary", "")
KEYVAULT_PRIMARY_KEY_FALLBACKS = [_keys["primary_old"]] if "primary_old" in _keys else []
KEYVAULT_DETERMINISTIC_KEY = _keys.get("deterministic", "")
KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = []
KEYVAULT_KEY_DERIVATION_SALT = _keys.get("salt", "")
KEYVAULT_SUPPORT_UNENCRYPTED_DATA = False

# django-fernet-encrypted-fields derives its key from SECRET_KEY and SALT_KEY.
SALT_KEY = _keys.get("fernet_salt", "benchmark-fernet-salt")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # no user logs in by form
LOGGING = {"version": 1, "disable_existing_loggers": False}
