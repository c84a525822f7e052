#!/usr/bin/env bash
# Install MathJax 3 from the npm registry and copy its browser bundle (es5/)
# to _static/mathjax/, so the built book renders math without any CDN.
# _static/mathjax/ and .cache/ are gitignored: MathJax is installed, never committed.
# Idempotent: does nothing when the wanted version is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."

MATHJAX_SPEC="${MATHJAX_SPEC:-mathjax@3}"   # npm spec; major version 3 (Sphinx 7 config expects v3)
PREFIX=.cache/npm
DEST=_static/mathjax
PKG="$PREFIX/node_modules/mathjax"

if [[ ! -f "$PKG/es5/tex-mml-chtml.js" ]]; then
    command -v npm >/dev/null || { echo "fetch_mathjax: npm is required (apt-get install -y npm)" >&2; exit 1; }
    mkdir -p "$PREFIX"
    npm install --no-save --no-audit --no-fund --prefix "$PREFIX" "$MATHJAX_SPEC"
fi

version=$(node -p "require('./$PKG/package.json').version" 2>/dev/null \
          || sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$PKG/package.json" | head -n1)
# Copy only when the destination is missing or holds another version.
if [[ ! -f "$DEST/VERSION" || "$(cat "$DEST/VERSION")" != "$version" || ! -f "$DEST/tex-mml-chtml.js" ]]; then
    rm -rf "$DEST"
    mkdir -p "$DEST"
    cp -R "$PKG/es5/." "$DEST/"
    echo "$version" > "$DEST/VERSION"
    echo "fetch_mathjax: MathJax $version copied to $DEST"
else
    echo "fetch_mathjax: MathJax $version already in $DEST"
fi
