"""Benchmarks behind `make bench`: keyvault's field against the AES-GCM floor and peer packages."""

from __future__ import annotations
