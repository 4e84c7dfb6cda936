#!/usr/bin/env bash
# Install Debian's nginx for the TLS proxy test (tests/deploy/test_tls_proxy.py), which starts
# nginx itself with the configuration in deploy/nginx/. The packaged service is not used.
# Does nothing when nginx is already there; see apt-install.sh for what happens without root.
set -euo pipefail

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
exec "$(dirname "$0")/apt-install.sh" nginx "the TLS proxy test (tests/deploy)" \
  --no-install-recommends
