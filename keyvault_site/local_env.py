"""Create a local development `.env` (DEBUG on, a fresh SECRET_KEY) if none exists.

Run by `make run`; never used in production, where configuration comes from the environment.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

TEMPLATE = """\
# Local development settings written by `make run`. Never commit this file.
DEBUG=true
SECRET_KEY={secret_key}
ALLOWED_HOSTS=127.0.0.1,localhost
"""


def create(path: Path) -> bool:
    """Write a fresh local .env at `path` (mode 0600); False if one already exists."""
    if path.exists():
        return False
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(TEMPLATE.format(secret_key=secrets.token_urlsafe(50)))
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
    print(f"Created {target}." if create(target) else f"{target} exists; left as it is.")
