"""Settings for the test suite: the real settings with fixed test keys and no .env file."""

from __future__ import annotations

import os

# Tests never read a developer's .env; DATABASE_URL still comes through for PostgreSQL runs.
os.environ["KEYVAULT_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from keyvault_site.settings import *  # noqa: F403
from keyvault_site.settings import INSTALLED_APPS
from tests.keys import TEST_KEYS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]

# Obvious test fixtures, never used outside the suite.
KEYVAULT_PRIMARY_KEY = TEST_KEYS["primary"]
KEYVAULT_PRIMARY_KEY_FALLBACKS: list[str] = []
KEYVAULT_DETERMINISTIC_KEY = TEST_KEYS["deterministic"]
KEYVAULT_DETERMINISTIC_KEY_FALLBACKS: list[str] = []
KEYVAULT_KEY_DERIVATION_SALT = TEST_KEYS["salt"]
KEYVAULT_SUPPORT_UNENCRYPTED_DATA = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only
