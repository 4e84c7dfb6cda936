#!/usr/bin/env python3
"""Reload gunicorn's workers without a moment when none answers: `systemctl reload keyvault`
(the unit's ExecReload), the rotation drill and the README's runbook all run this.

    deploy/rolling_reload.py MASTER_PID [--deadline SECONDS]

A plain SIGHUP makes gunicorn stop the old workers as soon as it has forked the new ones, so
nothing answers while they import Django (seconds on a busy machine). Instead, for each running
worker, one at a time: SIGTTIN (one more worker), wait until a new one is ready; then SIGTTOU
as many times (gunicorn stops the oldest first), each time waiting until an old one has ended.
A new worker is ready when deploy/gunicorn.conf.py's post_worker_init has written its pid into
KEYVAULT_WORKER_READY_DIR (serve.sh sets the same default). Every wait has a deadline; past it
the script says what it waited for and exits 1, and the old workers keep serving.

Standard library only: it runs beside the server, not inside it.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

POLL_SECONDS = 0.05


def ready_directory() -> Path:
    """Where workers say they are ready; the same default as deploy/serve.sh."""
    default = Path(os.environ.get("TMPDIR", "/tmp")) / "keyvault-workers"  # noqa: S108 (serve.sh's default)
    return Path(os.environ.get("KEYVAULT_WORKER_READY_DIR", default))


def workers(master: int) -> set[int]:
    """The master's children (its workers), from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == master:
            found.add(int(entry.name))
    return found


def ready_workers(master: int, directory: Path) -> set[int]:
    """The master's workers that have said they are ready."""
    return {pid for pid in workers(master) if (directory / str(pid)).exists()}


def rolling_reload(master: int, directory: Path, deadline: float) -> int:
    """Replace every worker of `master`, new ones ready before old ones stop; how many."""
    old = workers(master)
    if not old:
        raise ReloadFailed(f"process {master} has no workers: is it gunicorn's master?")
    for started in range(1, len(old) + 1):
        os.kill(master, signal.SIGTTIN)  # one at a time: two signals at once may arrive as one
        _wait(
            functools.partial(_new_ready, master, directory, old, started),
            deadline,
            f"new worker {started} of {len(old)} to be ready (its pid in {directory})",
        )
    for stopped in range(1, len(old) + 1):
        os.kill(master, signal.SIGTTOU)
        _wait(
            functools.partial(_old_ended, master, old, stopped),
            deadline,
            f"old worker {stopped} of {len(old)} to end",
        )
    return len(old)


def _new_ready(master: int, directory: Path, old: set[int], count: int) -> bool:
    return len(ready_workers(master, directory) - old) >= count


def _old_ended(master: int, old: set[int], count: int) -> bool:
    return len(old - workers(master)) >= count


class ReloadFailed(Exception):
    """The reload could not finish; the message says what it waited for."""


def _wait(condition: Callable[[], bool], deadline: float, what: str) -> None:
    until = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > until:
            raise ReloadFailed(
                f"Gave up after {deadline:.0f} s waiting for {what}. The workers already "
                "running keep serving; gunicorn's log says why the new one is late."
            )
        time.sleep(POLL_SECONDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("master", type=int, help="gunicorn master's pid (systemd: $MAINPID)")
    parser.add_argument(
        "--deadline", type=float, default=60.0, help="seconds to wait for each step"
    )
    args = parser.parse_args(argv)
    try:
        replaced = rolling_reload(args.master, ready_directory(), args.deadline)
    except (ReloadFailed, ProcessLookupError, PermissionError) as error:
        print(f"rolling reload: {error}", file=sys.stderr)
        return 1
    print(f"rolling reload: {replaced} workers replaced, the new ones ready first")
    return 0


if __name__ == "__main__":
    sys.exit(main())
