#!/usr/bin/env bash
# Installs what the end-to-end and stack tests (and `make stack`) need from Debian's packages, when missing and we
# are root: Chromium, PostgreSQL, Redis, nginx and Caddy (forward-auth's second proxy). Their services are not
# started: the tests and `make stack` run private instances on 127.0.0.1 and free ports, and stop them. Also
# axe-core from npm into .tools/axe (its own prefix, so bun's install in .tools is never touched) for the
# accessibility checks, and openid-client (.tools/oidc) for the OpenID provider tests.
set -euo pipefail
AXE_VERSION=4.14.1
OPENID_CLIENT_VERSION=6.9.1  # panva's certified relying party: the independent client of the OpenID provider tests
cd "$(dirname "$0")/.."
if [ ! -f .tools/axe/node_modules/axe-core/axe.min.js ]; then
  echo "Installing axe-core ${AXE_VERSION} for the accessibility checks (npm)..."
  npm install --prefix .tools/axe --no-save --no-fund --no-audit "axe-core@${AXE_VERSION}" >/dev/null
fi
if [ ! -f .tools/oidc/node_modules/openid-client/package.json ]; then
  echo "Installing openid-client ${OPENID_CLIENT_VERSION} for the OpenID provider tests (npm)..."
  npm install --prefix .tools/oidc --no-save --no-fund --no-audit "openid-client@${OPENID_CLIENT_VERSION}" >/dev/null
fi

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/redis-server ] || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/caddy ] || missing+=(caddy)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing ${missing[*]} and not root: the tests that need them skip (they never skip under CI=true)." >&2
  exit 0
fi

echo "Installing ${missing[*]} for the tests (apt-get)..."
export DEBIAN_FRONTEND=noninteractive
# Debian starts a package's service when it is installed; these are used as private instances only, so keep
# invoke-rc.d from starting them (unless the machine already has its own policy).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
