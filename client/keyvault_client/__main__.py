"""`python -m keyvault_client` is the `keyvault` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
