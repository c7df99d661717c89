#!/usr/bin/env bash
# Installs what the end-to-end tests need from Debian's packages (Chromium), when missing and we are root.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Chromium for the end-to-end tests (apt-get)..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
else
  echo "Chromium is missing and we are not root: end-to-end tests will be skipped (they never skip under CI=true)." >&2
fi
