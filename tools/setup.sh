#!/usr/bin/env bash
# One command from a fresh machine with Python 3.11 to the built book:
#   creates .venv, installs requirements.txt, cnnlib (the reader's package) and cnnbook
#   (tools/: the student edition and nbgrader course), both editable, serves MathJax
#   locally (npm package mathjax@3), installs Debian's chromium for the site test
#   when run as root, then builds the website into _build/html.
# Usage: bash tools/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
echo "== installing requirements.txt, cnnlib and cnnbook"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
# --no-deps: requirements.txt pins every dependency both packages declare
.venv/bin/python -m pip install -q --no-deps -e .
.venv/bin/python -m pip install -q --no-deps -e tools

echo "== MathJax (served from _static/mathjax, no CDN)"
bash tools/fetch_mathjax.sh

echo "== axe-core (the accessibility audit of tests/site, exact version, no CDN)"
bash tools/fetch_axe.sh

if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing Debian's chromium (site test, PDF) and poppler-utils (PDF test)"
    bash tools/install_chromium.sh
  else
    echo "== note: chromium is not installed; the site test (tests/site) will be skipped."
    echo "   As root: bash tools/install_chromium.sh"
  fi
fi

if [ "${1:-}" != "--no-build" ]; then
  .venv/bin/python tools/make_status.py
  bash tools/build_book.sh
  echo "== the book is at _build/html/index.html; read the notebooks in JupyterLab: bash tools/lab.sh (or: bash tools/lab.sh ja)"
  if command -v chromium >/dev/null 2>&1; then
    bash tools/build_pdf.sh
    echo "== the PDF is at _build/pdf/book.pdf"
  else
    echo "== note: no chromium, so no PDF (as root: bash tools/install_chromium.sh)"
  fi
fi
