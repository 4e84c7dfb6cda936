#!/usr/bin/env bash
# Install one Debian package that some tests need (install-nginx.sh and install-chromium.sh
# check whether it is there first, then call this).
#   usage: scripts/apt-install.sh PACKAGE "WHAT NEEDS IT" [apt-get install options...]
# Without apt-get, or without root or password-less sudo, it says what to run and exits 0, and
# `make test` then leaves those tests out.
set -euo pipefail

package=$1
needed_by=$2
shift 2

if ! command -v apt-get >/dev/null; then
  echo "install-$package: no apt-get here; install $package to run $needed_by" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-$package: not root; run 'sudo apt-get install -y $package' to run $needed_by" >&2
  exit 0
fi

# env after sudo: sudo would drop the variables otherwise. RUNLEVEL=1 keeps a packaged service
# from starting (and holding a port) where the policy allows it: the tests start their own.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq "$@" "$package"
