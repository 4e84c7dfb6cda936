"""`python -m keyvault_client` is the `keyvault` command."""

from __future__ import annotations

from .cli import console

console()
