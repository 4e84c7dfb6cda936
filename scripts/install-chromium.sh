#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/e2e), which drive /usr/bin/chromium
# through Playwright. Playwright's own browser download (`playwright install`) is never used.
# Does nothing when Chromium is already there; see apt-install.sh for what happens without root.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
exec "$(dirname "$0")/apt-install.sh" chromium "the browser tests (tests/e2e)"
