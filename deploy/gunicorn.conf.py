"""gunicorn's settings for keyvault (deploy/serve.sh passes this file): logs and metrics files.

Bind address and worker count come from serve.sh's arguments or gunicorn's own variables
(GUNICORN_CMD_ARGS, WEB_CONCURRENCY); nothing here is specific to one machine.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

# The app writes one access line per request itself (keyvault.access, with the request id).
accesslog = None
# gunicorn 27's control socket would live in $HOME, which the container's user cannot write.
control_socket_disable = True

if os.environ.get("KEYVAULT_LOG_FORMAT", "text") == "json":
    # gunicorn's own lines ("Booting worker ...") as JSON too: every line a pipeline reads.
    logconfig_dict: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "settings_app.logs.formatters.RedactingJsonFormatter"}},
        "handlers": {
            "error_console": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            # Off: the app's keyvault.access lines replace it (they carry the request id).
            "gunicorn.access": {"handlers": [], "propagate": False},
        },
    }


def on_starting(server: Any) -> None:
    """Start the metrics from zero: remove what workers of an earlier run left behind; the same
    for the ready marks of deploy/rolling_reload.py."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, mode=0o700, exist_ok=True)
        for stale in Path(directory).glob("*.db"):  # only prometheus-client's own files
            stale.unlink()
    ready = _ready_directory()
    if ready is not None:
        ready.mkdir(parents=True, mode=0o700, exist_ok=True)
        for stale in ready.iterdir():
            if stale.name.isdigit():  # only the marks written below
                stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges stop counting (its counters are kept, as they should),
    and it is no longer ready."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
    ready = _ready_directory()
    if ready is not None:
        (ready / str(worker.pid)).unlink(missing_ok=True)


def _ready_directory() -> Path | None:
    """Where a worker marks itself ready (its pid as a file name): KEYVAULT_WORKER_READY_DIR."""
    directory = os.environ.get("KEYVAULT_WORKER_READY_DIR")
    return Path(directory) if directory else None


def post_worker_init(worker: Any) -> None:
    """Import every view now, then say the worker is ready: its first read pays no imports,
    and deploy/rolling_reload.py waits for its mark before retiring the old workers."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the property imports the URLconf's modules)
    # What start-up made lives as long as the worker: out of the collector's way, so the full
    # collections that serving triggers walk only what requests make (shorter pauses).
    gc.collect()
    gc.freeze()
    ready = _ready_directory()
    if ready is not None:
        (ready / str(worker.pid)).touch()
    worker.log.info("Worker ready (pid: %s)", worker.pid)
