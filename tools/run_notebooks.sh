#!/usr/bin/env bash
# Execute chapters top to bottom and store their outputs in place: what the
# website shows and what nbval re-checks. Usage: tools/run_notebooks.sh [book/NN_name.ipynb ...]
# (no argument: every chapter). Prints each notebook's wall time.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
export TF_CPP_MIN_LOG_LEVEL=2
# One OpenBLAS thread: on 2 cores a second thread makes the small products of the
# scratch layers up to 10x slower whenever the other core is busy.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
if [ -z "${CNNLIB_DATA:-}" ] && [ -d ../shared/datasets ]; then
  CNNLIB_DATA=$(cd ../shared/datasets && pwd)
  export CNNLIB_DATA
fi
if [ $# -eq 0 ]; then set -- book/*.ipynb; fi
for nb in "$@"; do
  start=$(date +%s)
  "$PY" -m jupyter nbconvert --to notebook --execute --inplace \
    --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.kernel_name=python3 "$nb"
  echo "$nb: $(( $(date +%s) - start )) s"
done
