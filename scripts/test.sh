#!/usr/bin/env bash
# Every check CI runs, in order (run scripts/setup.sh once first):
#   1. the package's unit tests and every chapter re-executed by nbval,
#   2. the status page written from that run, the site built with -W,
#   3. a headless Chromium check of the built site.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "no .venv here: run 'bash scripts/setup.sh' first" >&2
  exit 2
fi
PY=.venv/bin/python
export TF_CPP_MIN_LOG_LEVEL=2
# One OpenBLAS thread: on 2 cores a second thread makes the small products of the
# scratch layers up to 10x slower whenever the other core is busy.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ -z "${CNNLIB_DATA:-}" ] && [ -d ../shared/datasets ]; then
  CNNLIB_DATA=$(cd ../shared/datasets && pwd)
  export CNNLIB_DATA
fi
mkdir -p _build/status
export CNNLIB_CLAIMS=$PWD/_build/status/claims.jsonl
rm -f "$CNNLIB_CLAIMS"

echo "== 1. unit tests and notebooks (nbval)"
"$PY" -m pytest tests book --ignore=tests/site \
  --nbval --nbval-current-env --nbval-sanitize-with book/nbval_sanitize.cfg \
  --durations=0 --junitxml=_build/status/junit.xml

echo "== 2. status page and website"
"$PY" scripts/make_status.py
bash scripts/build_book.sh

echo "== 3. the built site in headless Chromium"
"$PY" -m pytest tests/site
