#!/usr/bin/env bash
# Installs what the end-to-end tests need: Chromium from Debian's packages (when missing and we are root), and
# axe-core from npm into .tools/axe (its own prefix, so bun's install in .tools is never touched).
set -euo pipefail
AXE_VERSION=4.14.1
cd "$(dirname "$0")/.."
if [ ! -f .tools/axe/node_modules/axe-core/axe.min.js ]; then
  echo "Installing axe-core ${AXE_VERSION} for the accessibility checks (npm)..."
  npm install --prefix .tools/axe --no-save --no-fund --no-audit "axe-core@${AXE_VERSION}" >/dev/null
fi
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
