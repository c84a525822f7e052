#!/usr/bin/env bash
# Install axe-core (the accessibility audit of tests/site/test_axe.py) from the npm registry at
# an exact version into .cache/npm-axe/ (gitignored: installed, never committed).  The test
# injects node_modules/axe-core/axe.min.js into each page itself; nothing comes from a CDN.
# Idempotent: does nothing when that version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.11.0   # exact pin
PREFIX=.cache/npm-axe
PKG="$PREFIX/node_modules/axe-core"

have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$PKG/package.json" 2>/dev/null | head -n1 || true)
if [[ "$have" != "$AXE_VERSION" || ! -f "$PKG/axe.min.js" ]]; then
    command -v npm >/dev/null || { echo "fetch_axe: npm is required (apt-get install -y npm)" >&2; exit 1; }
    mkdir -p "$PREFIX"
    npm install --no-save --no-audit --no-fund --prefix "$PREFIX" "axe-core@$AXE_VERSION"
    echo "fetch_axe: axe-core $AXE_VERSION installed in $PKG"
else
    echo "fetch_axe: axe-core $AXE_VERSION already in $PKG"
fi
