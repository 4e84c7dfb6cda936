#!/usr/bin/env bash
# Install Debian's nginx for the TLS proxy test (tests/deploy/test_tls_proxy.py), which starts
# nginx itself with the configuration in deploy/nginx/. The packaged service is not used.
# Does nothing when nginx is already there; without root (or password-less sudo) or apt-get it
# says what to run and exits 0, and `make test` then leaves the proxy test out.
set -euo pipefail

if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-nginx: no apt-get here; install nginx to run the TLS proxy test" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-nginx: not root; run 'sudo apt-get install -y nginx-light' to run the TLS proxy test" >&2
  exit 0
fi

apt=("${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
# The packaged service must not start (and hold port 80) where a policy allows it: the test
# runs its own nginx on free ports.
DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "${apt[@]}" install -y -qq --no-install-recommends nginx
