#!/bin/sh
# The one command that starts keyvault in production: the Dockerfile's CMD, the systemd unit's
# ExecStart and the tests (tests/deploy) all run it. Extra arguments go to gunicorn, e.g.
#   deploy/serve.sh --bind 127.0.0.1:8000 --workers 4
# Switching the server (e.g. to uvicorn workers) is a change to the `exec` line below only.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."

# Each gunicorn worker writes its metrics here and /metrics adds them up; gunicorn's
# on_starting hook (deploy/gunicorn.conf.py) empties it, so counts restart with the server.
PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/keyvault-metrics}
export PROMETHEUS_MULTIPROC_DIR

exec "${PYTHON:-python3}" -m gunicorn --config "$here/gunicorn.conf.py" "$@" keyvault_site.wsgi
