#!/usr/bin/env bash
# Puts the ALTCHA widget (npm package `altcha`, pinned by version and by the SHA-256 of the file) into
# assets/vendor/, where the app serves it to the browser: self-hosted, no third-party service at run time.
# Idempotent: does nothing when the right file is already there. Needs npm (and the registry) only the first time.
set -euo pipefail
VERSION=3.2.2
SHA256=71b2d6829de9893e5d6bfc806d343b2c7dead04b2157ff2a5ba3372938c3a6be
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$ROOT/assets/vendor/altcha.min.js"

if [ -f "$TARGET" ] && echo "$SHA256  $TARGET" | sha256sum --check --status; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "altcha@$VERSION" >/dev/null && tar -xzf "altcha-$VERSION.tgz")
if ! echo "$SHA256  $work/package/dist/main/altcha.min.js" | sha256sum --check --status; then
  echo "altcha@$VERSION: dist/main/altcha.min.js does not have the pinned SHA-256; refusing to install it" >&2
  exit 1
fi
mkdir -p "$(dirname "$TARGET")"
cp "$work/package/dist/main/altcha.min.js" "$TARGET.tmp"
cp "$work/package/LICENSE.txt" "$ROOT/assets/vendor/altcha.LICENSE.txt"
mv "$TARGET.tmp" "$TARGET"
echo "Installed the ALTCHA widget $VERSION into assets/vendor/"
