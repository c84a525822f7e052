#!/usr/bin/env bash
# Open the book's notebooks in JupyterLab, as a reader reads them.
#   bash tools/lab.sh            # the English reader's edition (_build/notebooks/en)
#   bash tools/lab.sh ja         # the Japanese one (_build/notebooks/ja); JupyterLab's menus in Japanese too
#   bash tools/lab.sh ja student-ja/   # any folder (a student edition, a course) in that language
# Extra arguments after the folder go to `jupyter lab` (for example --allow-root, --no-browser).
# The reader's edition is written by tools/build_book.sh (python -m cnnbook.reader); this
# script writes it first if it is missing.  Edit the chapters in book/, not here.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3

lang=en
case "${1:-}" in en|ja) lang=$1; shift ;; esac
folder=_build/notebooks/$lang
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then folder=$1; shift; fi

if [ "$folder" = "_build/notebooks/$lang" ] && [ ! -d "$folder" ]; then
  "$PY" -m cnnbook.reader --lang "$lang" "$folder"
fi
[ -d "$folder" ] || { echo "lab.sh: no folder $folder" >&2; exit 2; }

export TF_CPP_MIN_LOG_LEVEL=2
if [ -z "${CNNLIB_DATA:-}" ] && [ -d ../shared/datasets ]; then
  CNNLIB_DATA=$(cd ../shared/datasets && pwd)
  export CNNLIB_DATA
fi
# The checks' messages (cnnlib.checks) and the grader's feedback speak the edition's language.
export CNNLIB_LANG=$lang
# The book's own JupyterLab settings, one folder per language (unless JUPYTERLAB_SETTINGS_DIR is set):
# Markdown pages (glossary.md, references.md) open rendered, not in the text editor, and in Japanese
# the interface speaks Japanese (the pinned language pack).  Your other JupyterLab sessions keep
# their own settings.
if [ -z "${JUPYTERLAB_SETTINGS_DIR:-}" ]; then
  settings=$PWD/_build/lab-settings/$lang
  mkdir -p "$settings/@jupyterlab/docmanager-extension" "$settings/@jupyterlab/translation-extension"
  echo '{"defaultViewers": {"markdown": "Markdown Preview"}}' \
    > "$settings/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
  if [ "$lang" = ja ]; then
    echo '{"locale": "ja_JP"}' > "$settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"
  fi
  export JUPYTERLAB_SETTINGS_DIR=$settings
fi
exec "$PY" -m jupyter lab "$folder" "$@"
