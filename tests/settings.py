"""Settings for the test suite: the real settings with fixed test keys and no .env file."""

from __future__ import annotations

import os

# Tests never read a developer's .env; DATABASE_URL still comes through for PostgreSQL runs.
os.environ["KEYVAULT_ENV_FILE"] = ""
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from keyvault_site.settings import *  # noqa: F403
from keyvault_site.settings import INSTALLED_APPS
from tests.support.keys import TEST_KEYS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]

# Obvious test fixtures, never used outside the suite.
KEYVAULT_PRIMARY_KEY = TEST_KEYS["primary"]
KEYVAULT_PRIMARY_KEY_FALLBACKS = []
KEYVAULT_DETERMINISTIC_KEY = TEST_KEYS["deterministic"]
KEYVAULT_DETERMINISTIC_KEY_FALLBACKS = []
KEYVAULT_KEY_DERIVATION_SALT = TEST_KEYS["salt"]
KEYVAULT_SUPPORT_UNENCRYPTED_DATA = False

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only

# Login throttling is switched on by the tests that exercise it (settings.AXES_ENABLED = True);
# elsewhere Client.login() must work without a request object.
AXES_ENABLED = False
# Tests speak plain HTTP to the test client; the HTTPS settings are checked by check --deploy.
SECURE_SSL_REDIRECT = False
# Serve static files from the apps, as in development: no collectstatic before the suite.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
