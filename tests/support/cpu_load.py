"""Two CPU-bound processes beside a concurrency test, as a busy shared machine has them.

Each stops by itself after `SECONDS` (bounded even if the test is killed) and is ended when the
test ends.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

SECONDS = 600
_SPIN = f"import time\nend = time.monotonic() + {SECONDS}\nwhile time.monotonic() < end: pass\n"


@contextmanager
def busy_cpus(count: int = 2) -> Iterator[None]:
    """Keep `count` processes spinning while the block runs."""
    spinners = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
