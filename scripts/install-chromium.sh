#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/e2e), which drive /usr/bin/chromium
# through Playwright. Playwright's own browser download (`playwright install`) is never used.
# Does nothing when Chromium is already there; without root (or password-less sudo) or apt-get it
# says what to run and exits 0, and `make test` then leaves the browser tests out.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-chromium: no apt-get here; install Chromium as /usr/bin/chromium to run tests/e2e" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-chromium: not root; run 'sudo apt-get install -y chromium' to run tests/e2e" >&2
  exit 0
fi

"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium
