#!/usr/bin/env bash
# Every check CI runs, in order (run tools/setup.sh once first):
#   1. the package's unit tests and every chapter re-executed by nbval,
#   2. the status page written from that run (passed or failed), the site built with -W,
#   3. a headless Chromium check of the built site (when the site was built),
#   4. the PDFs of the book, English and Japanese, printed by Chromium (tools/build_pdf.sh builds both,
#      the Japanese one even when the English one failed) and checked (tests/book/test_pdf.py, both).
# Every step runs even when an earlier one failed, so the status page always says
# what the last run did.  Exit status: step 1's pytest status if it failed, else
# the first failing later step's, else 0.  The last line printed is step 1's
# pytest summary ("== N passed, M failed in ... ==").
set -uo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  echo "no .venv here: run 'bash tools/setup.sh' first" >&2
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
STATUS=_build/status
mkdir -p "$STATUS"
export CNNLIB_CLAIMS=$PWD/$STATUS/claims.jsonl
# results of an earlier run must not be reported as this run's
rm -f "$CNNLIB_CLAIMS" "$STATUS/junit.xml" "$STATUS/notebooks.json" "$STATUS/pytest.log"

# Two runs of pytest.  1a: the unit tests and the chapters, two test files or
# notebooks at a time (pytest-xdist; a notebook stays on one worker; the longest
# chapters first, so that the two workers finish together): a scratch chapter uses
# one core while a Keras chapter uses the other, which cuts the wall time by about
# a third (issue 9's budget).  1b: the two appendices that time this machine
# (benchmarks, speed-ups from more cores), alone, so that nothing else runs
# beside their measurements.
TIMING=(book/performance.ipynb book/scaling.ipynb)
NBVAL=(--nbval --nbval-current-env --nbval-sanitize-with book/nbval_sanitize.cfg --durations=0)
rm -f "$STATUS/junit-timing.xml" "$STATUS/pytest-timing.log"
echo "== 1. unit tests and notebooks (nbval)"
# (the order: tools/pytest_book.py's pytest_collection_modifyitems)
"$PY" -m pytest book tests --ignore=tests/site "${TIMING[@]/#/--deselect=}" \
  -n 2 --dist loadfile --no-loadscope-reorder "${NBVAL[@]}" \
  --junitxml="$STATUS/junit.xml" 2>&1 | tee "$STATUS/pytest.log"
tests_rc=${PIPESTATUS[0]}
echo "== 1b. the appendices that time this machine, alone (nbval)"
CNNLIB_NBVAL_APPEND=1 "$PY" -m pytest "${TIMING[@]}" "${NBVAL[@]}" \
  --junitxml="$STATUS/junit-timing.xml" 2>&1 | tee "$STATUS/pytest-timing.log"
timing_rc=${PIPESTATUS[0]}
summary=$(grep -E '^=+ .* in [0-9.]+s' "$STATUS/pytest.log" | tail -n 1)
[ -n "$summary" ] || summary="pytest exited with status $tests_rc and printed no summary line"
timing_summary=$(grep -E '^=+ .* in [0-9.]+s' "$STATUS/pytest-timing.log" | tail -n 1)
[ -n "$timing_summary" ] || timing_summary="pytest exited with status $timing_rc and printed no summary line"
[ "$tests_rc" -ne 0 ] || tests_rc=$timing_rc

echo "== 2. status page and website"
"$PY" tools/make_status.py
status_rc=$?
build_rc=0
bash tools/build_book.sh || build_rc=$?

site_rc=0
if [ "$build_rc" -eq 0 ]; then
  echo "== 3. the built site in headless Chromium"
  "$PY" -m pytest tests/site || site_rc=$?
else
  echo "== 3. skipped: the site did not build (exit $build_rc)"
fi

# --- 4. the PDFs (tools/build_pdf.sh: _build/pdf/book.pdf, book-ja.pdf; tests/book/test_pdf.py) ---
pdf_rc=0
if [ "$build_rc" -eq 0 ]; then
  echo "== 4. the PDFs of the book (English, Japanese)"
  { bash tools/build_pdf.sh && "$PY" -m pytest tests/book/test_pdf.py -rs; } || pdf_rc=$?
else
  echo "== 4. skipped: the site did not build (exit $build_rc)"
fi
# ------------------------------------------------------------------------------------

echo "== summary"
echo "PDFs en+ja (build_pdf.sh, test_pdf.py): exit $pdf_rc"
echo "status page (tools/make_status.py): exit $status_rc"
echo "site build (tools/build_book.sh):   exit $build_rc"
if [ "$build_rc" -eq 0 ]; then
  echo "site test (pytest tests/site):        exit $site_rc"
else
  echo "site test (pytest tests/site):        not run (no site)"
fi
if [ "$tests_rc" -ne 0 ]; then
  echo "unit tests and notebooks:             exit $tests_rc (what failed: book/status.md, $STATUS/pytest.log)"
else
  echo "unit tests and notebooks:             exit 0"
fi
rc=0
for r in "$tests_rc" "$status_rc" "$build_rc" "$site_rc" "$pdf_rc"; do
  if [ "$r" -ne 0 ]; then rc=$r; break; fi
done
echo "appendices that time the machine:     $timing_summary"
echo "$summary"
exit "$rc"
