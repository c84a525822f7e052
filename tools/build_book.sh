#!/usr/bin/env bash
# Build the book into _build/html (and its Japanese edition into _build/html/ja),
# offline, failing on any Sphinx warning.
#   tools/build_book.sh            # incremental build
#   tools/build_book.sh --all      # extra args go to `jupyter-book build` (--all = rebuild everything)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/fetch_mathjax.sh

if [[ -x .venv/bin/jupyter-book ]]; then
    JB=.venv/bin/jupyter-book
else
    JB=$(command -v jupyter-book) || { echo "build_book: jupyter-book not found" >&2; exit 1; }
fi

# -W turns warnings into errors, --keep-going reports all of them before failing.
# Jupyter Book prints warnings but has exited 0 on some of them in the past, so
# the log is also scanned for "WARNING:"/"ERROR:" lines.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
"$JB" build . -W --keep-going "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

warnings=$(grep -cE '(WARNING|ERROR|CRITICAL):' "$log" || true)
if [[ $status -ne 0 || $warnings -ne 0 ]]; then
    echo "build_book: FAILED (exit $status, $warnings warning/error lines)" >&2
    exit $(( status != 0 ? status : 1 ))
fi
echo "build_book: OK, zero warnings -> _build/html/index.html"

# The Japanese edition from the same sources and locale/ja/ (untranslated text shows
# in English), into _build/html/ja/, also with -W.  The English site above is complete
# whatever happens here.
tools/build_book_ja.sh "$@"

# The reader's edition of the notebooks, for JupyterLab with jupyterlab-myst (bash tools/lab.sh [ja]):
# the same chapters with their MyST turned into what JupyterLab renders, English and Japanese.
PY=.venv/bin/python
[[ -x $PY ]] || PY=python3
rm -rf _build/notebooks
"$PY" -m cnnbook.reader _build/notebooks/en
"$PY" -m cnnbook.reader --lang ja _build/notebooks/ja
# and in plain Markdown for Colab and any Jupyter without jupyterlab-myst, published with the
# website (the site's Colab buttons open them from the published branch: tools/sphinx/reader_launch.py)
"$PY" -m cnnbook.reader --flavour portable _build/html/notebooks/en
"$PY" -m cnnbook.reader --flavour portable --lang ja _build/html/notebooks/ja
