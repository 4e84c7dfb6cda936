#!/bin/sh
# The one command that starts keyvault in production: the Dockerfile's CMD, the systemd unit's
# ExecStart and the tests (tests/deploy) all run it. Extra arguments go to gunicorn, e.g.
#   deploy/serve.sh --bind 127.0.0.1:8000 --workers 4
# gunicorn manages uvicorn workers (keyvault_site/workers.py: proxy headers off) serving the ASGI
# application: the admin, the API and the gateway from one server.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."

# Each gunicorn worker writes its metrics here and /metrics adds them up; gunicorn's
# on_starting hook (deploy/gunicorn.conf.py) empties it, so counts restart with the server.
PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-${TMPDIR:-/tmp}/keyvault-metrics}
export PROMETHEUS_MULTIPROC_DIR
# Each worker marks itself ready here (its pid), and deploy/rolling_reload.py (systemctl reload)
# waits for those marks: the same default there.
KEYVAULT_WORKER_READY_DIR=${KEYVAULT_WORKER_READY_DIR:-${TMPDIR:-/tmp}/keyvault-workers}
export KEYVAULT_WORKER_READY_DIR

exec "${PYTHON:-python3}" -m gunicorn --config "$here/gunicorn.conf.py" \
  --worker-class keyvault_site.workers.UvicornWorker "$@" keyvault_site.asgi:application
