"""Under gunicorn each worker is a process: with PROMETHEUS_MULTIPROC_DIR, /metrics adds up
what every worker counted (a plain registry would show one worker's share, at random)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

RECORD = (
    "from settings_app import metrics; [metrics.record_api_read(200, 0.01) for _ in range({n})]"
)
EXPOSE = "import sys; from settings_app.metrics.exposition import exposition; " \
         "sys.stdout.write(exposition().decode())"  # fmt: skip


def python(code: str, directory: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": os.environ["PATH"], "PROMETHEUS_MULTIPROC_DIR": str(directory)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_counts_add_up_across_worker_processes(tmp_path: Path) -> None:
    python(RECORD.format(n=3), tmp_path)  # one worker
    python(RECORD.format(n=4), tmp_path)  # another
    text = python(EXPOSE, tmp_path)  # the worker that answers the scrape
    assert 'keyvault_api_reads_total{outcome="200"} 7.0' in text
    assert "keyvault_api_read_seconds_count 7.0" in text


GATEWAY = (
    "from settings_app import metrics; "
    "[(metrics.record_gateway_request('openai', 200),"
    " metrics.record_gateway_added('openai', 0.001),"
    " metrics.record_gateway_usage('openai', 10, 3, True)) for _ in range({n})]"
)


def test_gateway_counts_and_histograms_add_up_across_worker_processes(tmp_path: Path) -> None:
    python(GATEWAY.format(n=2), tmp_path)
    python(GATEWAY.format(n=5), tmp_path)
    text = python(EXPOSE, tmp_path)
    assert 'keyvault_gateway_requests_total{provider="openai",status="200"} 7.0' in text
    assert 'keyvault_gateway_added_seconds_count{provider="openai"} 7.0' in text
    assert 'keyvault_gateway_tokens_total{direction="input",provider="openai"} 70.0' in text
