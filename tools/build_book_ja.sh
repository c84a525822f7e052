#!/usr/bin/env bash
# Build the Japanese edition into _build/html/ja/, from the same notebooks and pages
# as the English one, with the catalogs in locale/ja/LC_MESSAGES/ (untranslated or
# fuzzy messages show in English).  Fails on any Sphinx warning, like build_book.sh.
#   tools/build_book_ja.sh          # incremental
#   tools/build_book_ja.sh --all    # extra args go to `jupyter-book build`
# The config is _config.yml with language: ja (tools/update_translations.py config-ja);
# Sphinx's own output and doctrees stay in _build/ja/ (its environment must not mix
# with the English one), then the HTML is copied to _build/html/ja/.
# The Japanese PDF (_build/pdf/book-ja.pdf) is printed by tools/build_pdf.sh from a
# single-page build with this same config, and copied to the site's root
# (_build/html/book-ja.pdf, beside book.pdf, so replacing _build/html/ja/ here keeps it);
# the footer of every Japanese page links it (../../book-ja.pdf, "本書のPDF": the footer
# is written by tools/update_translations.py config-ja).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -x .venv/bin/jupyter-book ]]; then
    JB=.venv/bin/jupyter-book; PY=.venv/bin/python
else
    JB=$(command -v jupyter-book) || { echo "build_book_ja: jupyter-book not found" >&2; exit 1; }
    PY=python
fi

"$PY" tools/update_translations.py config-ja _build/ja/_config.yml >/dev/null

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
"$JB" build . --config _build/ja/_config.yml --path-output _build/ja -W --keep-going "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

warnings=$(grep -cE '(WARNING|ERROR|CRITICAL):' "$log" || true)
if [[ $status -ne 0 || $warnings -ne 0 ]]; then
    echo "build_book_ja: FAILED (exit $status, $warnings warning/error lines)" >&2
    exit $(( status != 0 ? status : 1 ))
fi
mkdir -p _build/html
rm -rf _build/html/ja
cp -r _build/ja/_build/html _build/html/ja
"$PY" tools/update_translations.py --report
echo "build_book_ja: OK, zero warnings -> _build/html/ja/index.html"
