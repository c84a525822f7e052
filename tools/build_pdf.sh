#!/usr/bin/env bash
# The PDF of the whole book, offline, into _build/pdf/book.pdf:
#   1. jupyter-book build . --builder singlehtml -W  (the book as one page, _build/singlehtml/)
#   2. Debian's chromium, headless, prints that page to PDF.  The page is served from
#      localhost (python -m http.server) so MathJax, served locally from _static/mathjax,
#      renders every formula before printing; remote hosts are unreachable for the browser.
#   3. the PDF is copied into the website (_build/html/book.pdf) when the site is built,
#      which the footer of every page links to ("PDF of the book").
# Jupyter Book's own `--builder pdfhtml` is not used: it downloads a browser at run time.
# Print styles (wrapped lines, no scroll boxes): the @media print block of _static/custom.css.
#   tools/build_pdf.sh            # extra args go to `jupyter-book build` (e.g. --all)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

tools/fetch_mathjax.sh

if [[ -x .venv/bin/jupyter-book ]]; then
    JB=.venv/bin/jupyter-book
    PY=.venv/bin/python
else
    JB=$(command -v jupyter-book) || { echo "build_pdf: jupyter-book not found" >&2; exit 1; }
    PY=python3
fi
CHROMIUM=$(command -v chromium || command -v chromium-browser) \
    || { echo "build_pdf: chromium not found (as root: bash tools/install_chromium.sh)" >&2; exit 1; }

log=$(mktemp)
server_pid=""
cleanup() {
    rm -f "$log"
    if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

# 1. the single-page build, failing on any warning (as tools/build_book.sh does).  Its
#    configuration is _config.yml plus tools/singlehtml_nodes.py (see there why); local
#    extension paths are made absolute, as the derived file lives in _build/pdf/.
mkdir -p _build/pdf
config=_build/pdf/_config.singlehtml.yml
"$PY" - "$config" <<'PYTHON'
import sys
from pathlib import Path

import yaml

root = Path.cwd()
config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
extensions = config.setdefault("sphinx", {}).setdefault("local_extensions", {}) or {}
extensions = {name: str((root / path).resolve()) for name, path in extensions.items()}
extensions["singlehtml_nodes"] = str(root / "tools")
config["sphinx"]["local_extensions"] = extensions
Path(sys.argv[1]).write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
PYTHON
set +e
"$JB" build . --builder singlehtml --config "$config" -W --keep-going "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
warnings=$(grep -cE '(WARNING|ERROR|CRITICAL):' "$log" || true)
if [[ $status -ne 0 || $warnings -ne 0 ]]; then
    echo "build_pdf: singlehtml build FAILED (exit $status, $warnings warning/error lines)" >&2
    exit $(( status != 0 ? status : 1 ))
fi
# Sphinx writes the whole book into the root document's page (_toc.yml's root, book/intro.html)
# but links its assets (_static/, _images/) as if that page sat at the top of the output:
# print a copy that does.
root_doc=$("$PY" -c 'import yaml; print(yaml.safe_load(open("_toc.yml"))["root"])')
[[ -f _build/singlehtml/$root_doc.html ]] || { echo "build_pdf: _build/singlehtml/$root_doc.html was not written" >&2; exit 1; }
cp "_build/singlehtml/$root_doc.html" _build/singlehtml/book.html

# 2. serve it on a free localhost port and print it
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" -m http.server "$port" --bind 127.0.0.1 --directory _build/singlehtml >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do
    "$PY" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/book.html', timeout=1)" 2>/dev/null && break
    sleep 0.2
done

out=_build/pdf/book.pdf
rm -f "$out"
profile=$(mktemp -d)
# --virtual-time-budget: the page's timers and MathJax's typesetting run (in virtual time)
# before the page is printed; the host rules keep every request on this machine.
timeout 900 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --no-first-run --no-default-browser-check --disable-extensions --user-data-dir="$profile" \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    --run-all-compositor-stages-before-draw --virtual-time-budget=120000 \
    --no-pdf-header-footer --print-to-pdf="$out" "http://127.0.0.1:$port/book.html" 2>"$log" || {
    echo "build_pdf: chromium failed:" >&2
    tail -n 20 "$log" >&2
    rm -rf "$profile"
    exit 1
}
rm -rf "$profile"
[[ -s $out ]] || { echo "build_pdf: chromium wrote no PDF" >&2; exit 1; }

# 3. the website offers it for download
if [[ -d _build/html ]]; then
    cp "$out" _build/html/book.pdf
fi

pages=$(pdfinfo "$out" 2>/dev/null | sed -n 's/^Pages: *//p' || true)
echo "build_pdf: OK -> $out (${pages:-?} pages, $(du -h "$out" | cut -f1), $(( $(date +%s) - start )) s)"
