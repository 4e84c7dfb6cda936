"""Settings for the gunicorn server of benchmark 8: the bench settings, serving the API and the
minimal token view (api_urls), on SQLite or on the scratch PostgreSQL database."""

from __future__ import annotations

import os

from benchmarks.settings import *  # noqa: F403
from benchmarks.settings import DATABASES
from keyvault_site.settings import POSTGRES_POOL, SQLITE_SETTINGS

ROOT_URLCONF = "benchmarks.api_urls"
if os.environ.get("KEYVAULT_BENCH_API_DB") == "postgres":
    # Pooled, as keyvault_site.settings configures PostgreSQL in production.
    pooled = {"CONN_MAX_AGE": 0, "OPTIONS": {"pool": POSTGRES_POOL}}
    DATABASES = {"default": {**DATABASES["postgres"], **pooled}}
else:  # configured as keyvault_site.settings configures SQLite
    DATABASES = {"default": {**DATABASES["default"], **SQLITE_SETTINGS}}
# Measure the read path, not the limit: nothing is throttled (the counter is still written).
KEYVAULT_API_RATE = "100000000/m"
# Plain HTTP on 127.0.0.1: a TLS proxy is not what is measured.
SECURE_SSL_REDIRECT = False
